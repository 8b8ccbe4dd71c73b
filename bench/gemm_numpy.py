"""float32 GEMM GFLOP/s through numpy (the OpenBLAS peer of issue 4).

    env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=$(bench/openblas-coretype.sh) \
        LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/gemm_numpy.py

(bench/openblas-coretype.sh prints a core type only where OpenBLAS would fall back to its generic kernels.)

C[m,n] = A[m,k] @ B[k,n], row-major float32, written into a preallocated C (np.matmul(..., out=C)).
Sizes are m x k x n. GFLOP/s = 2mkn / median time of one call; each size is timed for at least
--min-time seconds and 10 calls after a warm-up; each size is run --repeat times, interleaved, and
the SUMMARY lines give the median run and the range.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_common import keep_freed_memory, CpuMonitor, openblas_info, print_machine_info, wait_idle  # noqa: E402

SIZES = [(1024, 1024, 1024), (512, 512, 512), (2048, 2048, 2048), (64, 784, 128)]


def gflops(m, k, n, min_time):
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    for _ in range(3):
        np.matmul(a, b, out=c)
    mon = CpuMonitor()
    times, t_start = [], time.perf_counter()
    while len(times) < 10 or time.perf_counter() - t_start < min_time:
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    flop = 2.0 * m * k * n
    return dict(other_cpus=mon.other_cpus(), m=m, k=k, n=n, calls=len(times), median_ms=1e3 * statistics.median(times),
                gflops=flop / statistics.median(times) / 1e9, gflops_best=flop / min(times) / 1e9)


def main():
    keep_freed_memory()   # re-executes with malloc settings that keep freed memory (see peer_common)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-time", type=float, default=3.0, help="seconds per size (default 3)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size, interleaved; the median is reported (default 3)")
    ap.add_argument("--show-config", action="store_true", help="also print numpy.show_config()")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each size wait up to S seconds for other processes to go quiet (shared machine)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--no-malloc-tuning", action="store_true",
                    help="run with glibc malloc's defaults (freed memory goes back to the kernel; see peer_common.py)")
    args = ap.parse_args()
    np.matmul(np.ones((4, 4), np.float32), np.ones((4, 4), np.float32))   # make sure the BLAS is loaded
    print_machine_info()
    print("# command: %s" % " ".join([sys.executable] + sys.argv))
    try:
        import threadpoolctl
        for info in threadpoolctl.threadpool_info():
            print("# threadpoolctl: %s" % info)
    except ImportError:
        print("# threadpoolctl: not installed; BLAS identified from the loaded libraries above")
    if args.show_config:
        np.show_config()
    runs = {size: [] for size in SIZES}
    for rep in range(1, args.repeat + 1):           # interleaved, like bench_pytorch.py
        for m, k, n in SIZES:
            if args.wait_idle > 0:
                wait_idle(max_wait=args.wait_idle)
            r = gflops(m, k, n, args.min_time)
            runs[(m, k, n)].append(r)
            print("numpy sgemm %4dx%4dx%4d run %d/%d: %7.1f GFLOP/s (median %.3f ms over %d calls; best %.1f GFLOP/s; other processes %.2f cores)"
                  % (m, k, n, rep, args.repeat, r["gflops"], r["median_ms"], r["calls"], r["gflops_best"], r["other_cpus"]), flush=True)
    print()
    results = []
    for (m, k, n), rs in runs.items():
        g = sorted(r["gflops"] for r in rs)
        results.append(dict(m=m, k=k, n=n, gflops=statistics.median(g), min=g[0], max=g[-1], runs=rs))
        print("SUMMARY numpy sgemm %4dx%4dx%4d: %7.1f GFLOP/s (median of %d runs; range %.1f..%.1f)"
              % (m, k, n, statistics.median(g), len(g), g[0], g[-1]), flush=True)
    if args.json:
        ob = openblas_info()
        with open(args.json, "w") as f:
            json.dump(dict(numpy=np.__version__, openblas=ob and dict(core=ob[0], config=ob[1], threads=ob[2], path=ob[3]),
                           results=results), f, indent=1)


if __name__ == "__main__":
    main()
