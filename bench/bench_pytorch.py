"""Training and inference throughput (samples/s) of the PyTorch ports of multitask_mnist and
edifice_mlp, on synthetic data of the real shapes (issue 4 peers).

    OPENBLAS_CORETYPE=$(bench/openblas-coretype.sh) LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/bench_pytorch.py

Training step = forward + cross-entropy + backward + Adam update (zero_grad(set_to_none=True)),
exactly what train_pytorch.py does per batch. Inference = forward only under torch.inference_mode().
Each measurement run warms up, then times single steps until it has run at least --min-time seconds
(10) and at least the model's minimum number of steps (200 for multitask_mnist, 30 for edifice_mlp);
a run's samples/s comes from its median step time (the mean-based figure is printed too). Runs are
repeated --repeat times (3), interleaved across models, and the SUMMARY lines give the median run
and the range: this VM's throughput drifts by up to 2x between minutes even when no other process
in it is busy, so a single run is not trustworthy.

Denormals: with synthetic data and random labels, values in multitask_mnist drift into the float32
denormal range and the step time doubles over a few hundred steps (~10 ms instead of ~6 ms). The
peer's best setup therefore flushes denormals to zero (torch.set_flush_denormal(True), i.e. FTZ/DAZ),
which is the default here; --no-flush-denormal measures without it.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_common import keep_freed_memory, CpuMonitor, print_machine_info, wait_idle                                         # noqa: E402
from pytorch_models import CORE_PARAMS, EdificeMlp, MultitaskMnist, count_params  # noqa: E402


WAIT_IDLE = 0.0   # seconds to wait for an idle machine before each measurement (--wait-idle)


def measure(step, batch, warmup, min_steps, min_time):
    if WAIT_IDLE > 0:
        wait_idle(max_wait=WAIT_IDLE)
    for _ in range(warmup):
        step()
    times = []
    mon = CpuMonitor()
    t_start = time.perf_counter()
    while len(times) < min_steps or time.perf_counter() - t_start < min_time:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med, mean = statistics.median(times), sum(times) / len(times)
    return dict(other_cpus=mon.other_cpus(), batch=batch, steps=len(times), seconds=sum(times), median_step_ms=1e3 * med,
                samples_per_s=batch / med, samples_per_s_mean=batch / mean,
                p10_step_ms=1e3 * sorted(times)[len(times) // 10], p90_step_ms=1e3 * sorted(times)[len(times) * 9 // 10])


def make(model_name, batch, infer_batch, foreach):
    g = torch.Generator().manual_seed(0)
    if model_name == "multitask_mnist":
        torch.manual_seed(1234)
        model = MultitaskMnist()
        x = torch.rand(batch, 1, 28, 28, generator=g)
        xi = torch.rand(infer_batch, 1, 28, 28, generator=g)
        task, task_i = 0, 0                       # one task id per batch
        lr = 3e-4
    else:
        torch.manual_seed(42)
        model = EdificeMlp()
        x = torch.rand(batch, 784, generator=g)
        xi = torch.rand(infer_batch, 784, generator=g)
        task = torch.zeros(batch, dtype=torch.long)      # one task id per sample
        task_i = torch.zeros(infer_batch, dtype=torch.long)
        lr = 1e-3
    y = torch.randint(0, 10, (batch,), generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=foreach)

    def train_step():
        loss = F.cross_entropy(model(task, x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def infer_step():
        with torch.inference_mode():
            model(task_i, xi)

    return model, train_step, infer_step


def gemm_gflops(m, k, n, min_time=2.0):
    a, b = torch.rand(m, k), torch.rand(k, n)
    c = torch.empty(m, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    times, t_start = [], time.perf_counter()
    while len(times) < 10 or time.perf_counter() - t_start < min_time:
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
    return 2.0 * m * k * n / statistics.median(times) / 1e9


def main():
    keep_freed_memory()   # re-executes with malloc settings that keep freed memory (see peer_common)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["multitask", "edifice", "all"], default="all")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=10.0, help="seconds per measurement run (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement, interleaved; the median is reported (default 3)")
    ap.add_argument("--infer-batch", type=int, help="inference batch (default: the training batch)")
    ap.add_argument("--foreach", action="store_true", help="Adam(foreach=True); slower on this CPU, off by default")
    ap.add_argument("--no-flush-denormal", action="store_true", help="keep denormals (slower; see above)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each measurement wait up to S seconds for other processes to go quiet (shared machine)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--no-malloc-tuning", action="store_true",
                    help="run with glibc malloc's defaults (freed memory goes back to the kernel; see peer_common.py)")
    args = ap.parse_args()
    global WAIT_IDLE
    WAIT_IDLE = args.wait_idle
    torch.set_num_threads(args.threads)
    ftz = torch.set_flush_denormal(not args.no_flush_denormal) and not args.no_flush_denormal
    print_machine_info()
    print("# flush denormals (FTZ/DAZ): %s" % ftz)
    print("# command: %s" % " ".join([sys.executable] + sys.argv))
    if WAIT_IDLE > 0:
        wait_idle(max_wait=WAIT_IDLE)
    print("# torch.mm float32 GFLOP/s: 1024^3 %.1f, 64x784x128 %.1f" % (gemm_gflops(1024, 1024, 1024), gemm_gflops(64, 784, 128)))
    cfgs = [("multitask_mnist", 32, 200, 20), ("edifice_mlp", 64, 30, 5)]
    if args.model != "all":
        cfgs = [c for c in cfgs if c[0].startswith(args.model)]
    built = {}
    for name, batch, min_steps, warmup in cfgs:
        ib = args.infer_batch or batch
        model, train_step, infer_step = make(name, batch, ib, args.foreach)
        built[name] = (train_step, infer_step, ib)
        print("# %s: %d learned params%s" % (name, count_params(model),
                                             ", %d generated" % CORE_PARAMS if name == "multitask_mnist" else ""))
    runs = {(name, kind): [] for name, *_ in cfgs for kind in ("train", "infer")}
    # repeats are interleaved across models so that slow phases of a shared host spread over all of them
    for rep in range(1, args.repeat + 1):
        for name, batch, min_steps, warmup in cfgs:
            train_step, infer_step, ib = built[name]
            for kind, fn, b in (("train", train_step, batch), ("infer", infer_step, ib)):
                r = measure(fn, b, warmup, min_steps, args.min_time)
                runs[(name, kind)].append(r)
                print("%-16s %s  batch %3d  run %d/%d: %8.1f samples/s (median step %.2f ms over %d steps, %.1fs; "
                      "mean-based %.1f/s; p10..p90 %.2f..%.2f ms; other processes %.2f cores)"
                      % (name, kind, b, rep, args.repeat, r["samples_per_s"], r["median_step_ms"], r["steps"], r["seconds"],
                         r["samples_per_s_mean"], r["p10_step_ms"], r["p90_step_ms"], r["other_cpus"]), flush=True)
    print()
    results = {}
    for (name, kind), rs in runs.items():
        sps = sorted(r["samples_per_s"] for r in rs)
        summary = dict(samples_per_s=statistics.median(sps), min=sps[0], max=sps[-1], batch=rs[0]["batch"], runs=rs)
        results.setdefault(name, {})[kind] = summary
        print("SUMMARY %-16s %s  batch %3d: %8.1f samples/s (median of %d runs; range %.1f..%.1f)"
              % (name, kind, rs[0]["batch"], summary["samples_per_s"], len(rs), sps[0], sps[-1]), flush=True)
    if args.json:
        results["torch"] = torch.__version__
        results["threads"] = args.threads
        results["flush_denormal"] = ftz
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
