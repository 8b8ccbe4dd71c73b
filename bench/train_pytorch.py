"""Trains the PyTorch ports of multitask_mnist and edifice_mlp on the real data (issue 4 peers).

    OPENBLAS_CORETYPE=$(bench/openblas-coretype.sh) LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/train_pytorch.py multitask
    OPENBLAS_CORETYPE=$(bench/openblas-coretype.sh) LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/train_pytorch.py edifice

multitask: MNIST 8k/2k + FashionMNIST 8k/2k (first 8,000 train / first 2,000 test samples of each
  dataset directory), Adam 3e-4, batch 32, 5 epochs; each epoch trains one shuffled pass over MNIST
  (task 0), then one over FashionMNIST (task 1), printing a Lux-tutorial-style line after each pass.
edifice: FashionMNIST 60k/10k, task 0 for every sample, Adam 1e-3, batch 64, 2 epochs.
Data: IDX files under ${HYPERC_DATA:-<repo>/data}/{mnist,fashion_mnist}/ (raw or .gz); FashionMNIST
  also from Debian's dataset-fashion-mnist (installed, or extracted under /tmp/fm). Pixels / 255.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_common import keep_freed_memory, CpuMonitor, load_dataset, print_machine_info  # noqa: E402
from pytorch_models import EdificeMlp, MultitaskMnist      # noqa: E402


def batches(n, batch, shuffle, gen, drop_last=False):
    idx = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
    stop = n - n % batch if drop_last else n
    for s in range(0, stop, batch):
        yield idx[s:s + batch]


@torch.inference_mode()
def accuracy(model, task_of, x, y, batch=1000):
    model.eval()
    correct = 0
    for s in range(0, len(x), batch):
        xb = x[s:s + batch]
        correct += (model(task_of(len(xb)), xb).argmax(1) == y[s:s + batch]).sum().item()
    model.train()
    return 100.0 * correct / len(x)


def train_multitask(args):
    names = [("MNIST", "mnist"), ("FashionMNIST", "fashion_mnist")]
    data = []
    for label, d in names:
        xtr, ytr, ptr = load_dataset(d, "train", args.train)
        xte, yte, pte = load_dataset(d, "test", args.test)
        print("# data %-12s train %s (%d)  test %s (%d)" % (label, ptr, len(xtr), pte, len(xte)))
        data.append((label, torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte), torch.from_numpy(yte)))
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = MultitaskMnist()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr or 3e-4)
    batch = args.batch or 32
    epochs = args.epochs or 5
    print("# multitask_mnist: Adam lr=%g batch=%d epochs=%d seed=%d" % (opt.defaults["lr"], batch, epochs, args.seed))
    rows = []
    t_all = time.time()
    for epoch in range(1, epochs + 1):
        for task, (label, xtr, ytr, xte, yte) in enumerate(data):
            t0, mon = time.time(), CpuMonitor()
            for bi in batches(len(xtr), batch, True, gen):
                loss = F.cross_entropy(model(task, xtr[bi]), ytr[bi])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            ttime, other = time.time() - t0, mon.other_cpus()
            tr = accuracy(model, lambda n: task, xtr, ytr)
            te = accuracy(model, lambda n: task, xte, yte)
            rows.append(dict(epoch=epoch, dataset=label, time_s=ttime, train_acc=tr, test_acc=te,
                             samples_per_s=len(xtr) / ttime, other_cpus=other))
            print("[%3d/%3d]\t%12s\tTime %3.5fs\tTraining Accuracy: %3.2f%%\tTest Accuracy: %3.2f%%\t(%.0f samples/s; other processes %.2f cores)"
                  % (epoch, epochs, label, ttime, tr, te, len(xtr) / ttime, other), flush=True)
    print()
    final = {}
    for task, (label, xtr, ytr, xte, yte) in enumerate(data):
        tr = accuracy(model, lambda n: task, xtr, ytr)
        te = accuracy(model, lambda n: task, xte, yte)
        final[label] = dict(train_acc=tr, test_acc=te)
        print("[FINAL]\t%12s\tTraining Accuracy: %3.2f%%\tTest Accuracy: %3.2f%%" % (label, tr, te))
    print("# total wall time %.1fs" % (time.time() - t_all))
    return dict(model="multitask_mnist", epochs=rows, final=final)


def train_edifice(args):
    xtr, ytr, ptr = load_dataset("fashion_mnist", "train", args.train)
    xte, yte, pte = load_dataset("fashion_mnist", "test", args.test)
    print("# data FashionMNIST train %s (%d)  test %s (%d)" % (ptr, len(xtr), pte, len(xte)))
    xtr, ytr = torch.from_numpy(xtr).reshape(-1, 784), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte).reshape(-1, 784), torch.from_numpy(yte)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = EdificeMlp(init=args.init)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr or 1e-3)
    batch = args.batch or 64
    epochs = args.epochs or 2
    print("# edifice_mlp: Adam lr=%g batch=%d epochs=%d seed=%d init=%s" % (opt.defaults["lr"], batch, epochs, args.seed, args.init))
    zeros = lambda n: torch.zeros(n, dtype=torch.long)   # task 0 for every sample
    rows = []
    t_all = time.time()
    for epoch in range(1, epochs + 1):
        t0, mon = time.time(), CpuMonitor()
        steps, loss_sum, seen = 0, 0.0, 0
        for bi in batches(len(xtr), batch, True, gen):
            loss = F.cross_entropy(model(zeros(len(bi)), xtr[bi]), ytr[bi])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
            loss_sum += loss.item()
            seen += len(bi)
            if steps % args.log_every == 0:
                el = time.time() - t0
                print("  epoch %d step %4d  %6d/%d  loss %.4f  %.0f samples/s  ETA %.0fs"
                      % (epoch, steps, seen, len(xtr), loss_sum / steps, seen / el, (len(xtr) - seen) / (seen / el)),
                      flush=True)
        ttime, other = time.time() - t0, mon.other_cpus()
        tr = accuracy(model, zeros, xtr, ytr, batch=500)
        te = accuracy(model, zeros, xte, yte, batch=500)
        rows.append(dict(epoch=epoch, dataset="FashionMNIST", time_s=ttime, train_acc=tr, test_acc=te,
                         train_loss=loss_sum / steps, samples_per_s=len(xtr) / ttime, other_cpus=other))
        print("[%3d/%3d]\t%12s\tTime %3.5fs\tTraining Accuracy: %3.2f%%\tTest Accuracy: %3.2f%%\t(%.0f samples/s, loss %.4f; other processes %.2f cores)"
              % (epoch, epochs, "FashionMNIST", ttime, tr, te, len(xtr) / ttime, loss_sum / steps, other), flush=True)
    print()
    print("[FINAL]\t%12s\tTraining Accuracy: %3.2f%%\tTest Accuracy: %3.2f%%" % ("FashionMNIST", rows[-1]["train_acc"], rows[-1]["test_acc"]))
    print("# total wall time %.1fs" % (time.time() - t_all))
    return dict(model="edifice_mlp", epochs=rows, final={"FashionMNIST": dict(train_acc=rows[-1]["train_acc"], test_acc=rows[-1]["test_acc"])})


def main():
    keep_freed_memory()   # re-executes with malloc settings that keep freed memory (see peer_common)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=["multitask", "edifice"])
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int, default=None, help="default: the model's train-block seed (1234 / 42)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train", type=int, help="train samples per dataset (default 8000 multitask, all for edifice)")
    ap.add_argument("--test", type=int, help="test samples per dataset (default 2000 multitask, all for edifice)")
    ap.add_argument("--log-every", type=int, default=100, help="edifice: progress line every N steps")
    ap.add_argument("--init", choices=["uniform", "hyperfan", "torch"], default="uniform",
                    help="edifice generator init, as hyperc's generator_init: uniform (hyperc's default), hyperfan; "
                         "or torch (nn.Linear's default, i.e. uniform with non-zero biases; diagnostic)")
    ap.add_argument("--flush-denormal", action="store_true",
                    help="flush float32 denormals to zero (faster; off by default so the accuracy runs use plain IEEE)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--no-malloc-tuning", action="store_true",
                    help="run with glibc malloc's defaults (freed memory goes back to the kernel; see peer_common.py)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.flush_denormal:
        torch.set_flush_denormal(True)
    if args.model == "multitask":
        args.train = args.train or 8000
        args.test = args.test or 2000
        args.seed = 1234 if args.seed is None else args.seed
    else:
        args.seed = 42 if args.seed is None else args.seed
    print_machine_info()
    print("# command: %s" % " ".join([sys.executable] + sys.argv))
    print("# flush denormals: %s" % args.flush_denormal)
    res = train_multitask(args) if args.model == "multitask" else train_edifice(args)
    if args.json:
        res["torch"] = torch.__version__
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
