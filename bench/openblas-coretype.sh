#!/usr/bin/env bash
# Prints the OPENBLAS_CORETYPE the benchmark peers should run with, so that they get their best kernels.
#
# Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernels by CPU model, and on CPUs newer than it knows it falls
# back to the generic "Prescott" SSE3 kernels: measured on an Intel Xeon with AVX-512 (avx512_fp16, 2 cores),
# sgemm 1024³ ran at 44.6 GFLOP/s autodetected and at 217.6 with OPENBLAS_CORETYPE=SkylakeX, and PyTorch's
# edifice_mlp step was 1.8x slower. So the core type OpenBLAS detects is used unless it is Prescott, which is
# replaced by the best family the CPU flags allow (SkylakeX with AVX-512, Haswell with AVX2).
#
# An OPENBLAS_CORETYPE inherited from the environment is ignored: some machines set one globally (an AMD EPYC
# Zen 5 VM had OPENBLAS_CORETYPE=Haswell, which ran sgemm 1024³ at 200 GFLOP/s against 352-358 with the
# Cooperlake kernels OpenBLAS detects there). PEER_OPENBLAS_CORETYPE=NAME forces a core type on purpose.
#
#   usage: bench/openblas-coretype.sh PYTHON OPENBLAS_LIBDIR
set -uo pipefail
PY=${1:-/usr/bin/python3}
LIBDIR=${2:-/usr/lib/x86_64-linux-gnu/openblas-openmp}
if [ -n "${PEER_OPENBLAS_CORETYPE:-}" ]; then echo "$PEER_OPENBLAS_CORETYPE"; exit 0; fi
detected=$(env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 LD_LIBRARY_PATH="$LIBDIR" "$PY" -c "import numpy" 2>&1 \
    | sed -n 's/^Core: //p' | head -1)
if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ "$OPENBLAS_CORETYPE" != "$detected" ]; then
    echo "openblas-coretype: ignoring OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE from the environment (OpenBLAS detects ${detected:-nothing}; set PEER_OPENBLAS_CORETYPE to force one)" >&2
fi
if [ -n "$detected" ] && [ "$detected" != "Prescott" ]; then echo "$detected"; exit 0; fi
flags=$(grep -m1 '^flags' /proc/cpuinfo)
if grep -qw avx512f <<<"$flags" && grep -qw avx512bw <<<"$flags" && grep -qw avx512vl <<<"$flags"; then echo SkylakeX
elif grep -qw avx2 <<<"$flags" && grep -qw fma <<<"$flags"; then echo Haswell
fi
