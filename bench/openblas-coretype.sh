#!/usr/bin/env bash
# Prints the OPENBLAS_CORETYPE the benchmark peers should run with, so that they get their best kernels.
#
# Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernels by CPU model, and on CPUs newer than it knows it falls
# back to the generic "Prescott" SSE3 kernels: measured on an Intel Xeon with AVX-512 (avx512_fp16, 2 cores),
# sgemm 1024³ ran at 44.6 GFLOP/s autodetected and at 217.6 with OPENBLAS_CORETYPE=SkylakeX, and PyTorch's
# edifice_mlp step was 1.8x slower. So: a core type already set in the environment is kept; otherwise the one
# OpenBLAS detects is kept unless it is Prescott, which is replaced by the best family the CPU flags allow
# (SkylakeX with AVX-512, Haswell with AVX2). Prints nothing when OpenBLAS's own choice stands.
#
#   usage: bench/openblas-coretype.sh PYTHON OPENBLAS_LIBDIR
set -uo pipefail
PY=${1:-/usr/bin/python3}
LIBDIR=${2:-/usr/lib/x86_64-linux-gnu/openblas-openmp}
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then echo "$OPENBLAS_CORETYPE"; exit 0; fi
detected=$(env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 LD_LIBRARY_PATH="$LIBDIR" "$PY" -c "import numpy" 2>&1 \
    | sed -n 's/^Core: //p' | head -1)
if [ "$detected" != "Prescott" ]; then exit 0; fi
flags=$(grep -m1 '^flags' /proc/cpuinfo)
if grep -qw avx512f <<<"$flags" && grep -qw avx512bw <<<"$flags" && grep -qw avx512vl <<<"$flags"; then echo SkylakeX
elif grep -qw avx2 <<<"$flags" && grep -qw fma <<<"$flags"; then echo Haswell
fi
