#!/usr/bin/env bash
# Runs the issue-4 benchmarks: the peers (numpy/OpenBLAS GEMM, PyTorch ports of multitask_mnist and
# edifice_mlp) and the hyperc CPU and OpenCL (PoCL) backends on the same models, plus GEMM on each.
#
#   bench/run.sh              peers' throughput + GEMM, then hyperc --bench if available
#   bench/run.sh --train      also the PyTorch accuracy runs (multitask ~3 min, edifice ~9 min)
#   bench/run.sh --peers-only / --hyperc-only
#   bench/run.sh --quick      short measurements (smoke test; numbers not for RESULTS.md)
#
# The machine is shared: before each peer measurement the scripts wait (up to BENCH_WAIT_IDLE
# seconds, default 600) until other processes use < 0.25 cores, and every line records how many
# cores other processes used while it ran. Peer throughput is the median of 3 interleaved runs.
# Logs go to bench/results/ (one .log and one .json per measurement; --quick: bench/results/quick/;
# BENCH_OUT=DIR overrides). Run on an otherwise idle
# machine: everything uses all (2) cores, so measurements must not overlap.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

TRAIN=0; PEERS=1; HYPERC=1; QUICK=0
for a in "$@"; do
    case "$a" in
        --train) TRAIN=1 ;;
        --peers-only) HYPERC=0 ;;
        --hyperc-only) PEERS=0 ;;
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
# logs: bench/results/ (a --quick run goes to bench/results/quick/ so it never overwrites real numbers)
if [ "$QUICK" -eq 1 ]; then OUT=${BENCH_OUT:-$ROOT/bench/results/quick}; else OUT=${BENCH_OUT:-$ROOT/bench/results}; fi
mkdir -p "$OUT"

PY=/usr/bin/python3                      # Debian's python: the one python3-torch installs into
OMP_BLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
status=0

step() { echo; echo "=== $*"; }
runlog() {  # runlog NAME CMD...: echo the command, run it, tee its output to $OUT/NAME.log
    local name=$1; shift
    echo "\$ $*"
    "$@" 2>&1 | tee "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || { echo "run.sh: $name failed (exit $rc)"; status=1; }
}

lscpu | grep -E '^(Model name|CPU\(s\)|Core\(s\) per socket|Socket\(s\)):' | sed 's/^/# /'

if [ "$PEERS" -eq 1 ]; then
    step "peers: setup"
    "$ROOT/bench/setup-peers.sh" || { echo "run.sh: peers not installed; skipping them"; PEERS=0; status=1; }
fi

if [ "$PEERS" -eq 1 ]; then
    if [ "$QUICK" -eq 1 ]; then GT=0.5; BT=1; REP=1; WAIT=0; else GT=3; BT=10; REP=3; WAIT=${BENCH_WAIT_IDLE:-600}; fi
    # The peers' best kernels: OpenBLAS falls back to generic SSE3 ones on CPUs newer than it knows (see the script).
    CORETYPE=$("$ROOT/bench/openblas-coretype.sh" "$PY" "$OMP_BLAS")
    # Every peer runs with OpenBLAS's own settings but that core type: an OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE
    # inherited from the machine's environment is removed. (The Python peers also re-execute themselves with
    # malloc settings that keep freed memory in the process: see bench/peer_common.py.)
    CT=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    if [ -n "$CORETYPE" ]; then CT+=(OPENBLAS_CORETYPE="$CORETYPE"); echo "# peers run with OPENBLAS_CORETYPE=$CORETYPE"
    else echo "# peers run with the OpenBLAS kernels it detects"; fi
    step "peer: OpenBLAS sgemm through numpy"
    runlog gemm_numpy "${CT[@]}" LD_LIBRARY_PATH="$OMP_BLAS" \
        "$PY" bench/gemm_numpy.py --min-time "$GT" --repeat "$REP" --wait-idle "$WAIT" --json "$OUT/gemm_numpy.json"

    step "peer: PyTorch throughput (OpenMP OpenBLAS, 2 threads)"
    runlog bench_pytorch "${CT[@]}" LD_LIBRARY_PATH="$OMP_BLAS" \
        "$PY" bench/bench_pytorch.py --threads 2 --min-time "$BT" --repeat "$REP" --wait-idle "$WAIT" --json "$OUT/bench_pytorch.json"

    if [ "$TRAIN" -eq 1 ]; then
        step "peer: PyTorch multitask_mnist accuracy (5 epochs, MNIST 8k/2k + FashionMNIST 8k/2k)"
        runlog train_multitask_pytorch "${CT[@]}" LD_LIBRARY_PATH="$OMP_BLAS" \
            "$PY" bench/train_pytorch.py multitask --json "$OUT/train_multitask_pytorch.json"
        step "peer: PyTorch edifice_mlp accuracy (2 epochs, FashionMNIST 60k/10k)"
        runlog train_edifice_pytorch "${CT[@]}" LD_LIBRARY_PATH="$OMP_BLAS" \
            "$PY" bench/train_pytorch.py edifice --json "$OUT/train_edifice_pytorch.json"
    fi
fi

if [ "$HYPERC" -eq 1 ]; then
    step "hyperc CPU backend"
    help=$(./compile-and-run --help 2>&1)     # also builds the launcher if sources changed
    help_rc=$?
    if [ "$help_rc" -ne 0 ]; then
        echo "$help" | tail -20
        echo "run.sh: ./compile-and-run --help failed (exit $help_rc; a build failure?); hyperc numbers skipped"
        status=1
    elif grep -q -- '--bench' <<<"$help"; then
        for m in multitask_mnist edifice_mlp; do
            runlog "hyperc_$m" ./compile-and-run "models/$m.hyper" --bench --threads 2 --device cpu
            # The same model on OpenCL (PoCL here: the same 2 cores), device-resident, one clFinish per step.
            runlog "hyperc_opencl_$m" env POCL_CACHE_DIR="${POCL_CACHE_DIR:-$ROOT/.cache/pocl}" \
                ./compile-and-run "models/$m.hyper" --bench --threads 2 --device opencl
        done
        if [ -f runtime/target/classes/dev/hyperc/runtime/cpu/kernels/GemmBench.class ]; then
            # shellcheck source=/dev/null
            . scripts/find-jdk.sh
            if hyperc_find_jdk; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
            qa=(); [ "$QUICK" -eq 1 ] && qa=(quick)
            runlog hyperc_gemm "$JAVA" --add-modules jdk.incubator.vector -cp runtime/target/classes \
                dev.hyperc.runtime.cpu.kernels.GemmBench 2 "${qa[@]}"
            runlog hyperc_opencl_gemm env POCL_CACHE_DIR="${POCL_CACHE_DIR:-$ROOT/.cache/pocl}" "$JAVA" --enable-native-access=ALL-UNNAMED \
                -cp "runtime/target/classes:compiler/target/classes:dsl/target/classes" dev.hyperc.runtime.opencl.OpenClGemmBench 256 512 1024
        else
            echo "run.sh: GemmBench not built (runtime/target/classes); hyperc GEMM numbers skipped"
        fi
    else
        echo "run.sh: ./compile-and-run has no --bench flag yet (see ./compile-and-run --help); hyperc CPU backend numbers skipped"
    fi
fi

echo
echo "run.sh: logs in $OUT"
exit $status
