"""Shared helpers for the peer benchmarks: machine/library info and an IDX reader.

Nothing here depends on torch; the torch-specific info is printed only when torch is importable.
"""
import gzip
import os
import platform
import struct
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------------------------
# the peer's memory allocator
# ----------------------------------------------------------------------------------------------

# glibc malloc serves blocks over 128 KiB-32 MiB with mmap and gives freed memory back to the kernel, so
# every PyTorch temporary of edifice_mlp's 26M-parameter head (Adam's sqrt/div, the 103 MB weight gradient)
# is a fresh mapping whose pages fault in again at every step. On a VM where a page fault is slow that
# dominates the step: measured on an AMD EPYC (Zen 5) VM at ~7-15 us per 4 KiB page, PyTorch's edifice_mlp
# step took 837 ms with glibc's defaults and 92 ms with these settings (multitask_mnist 1,400-2,100 ->
# 7,800 samples/s). Keeping freed memory in the process, which caching allocators such as jemalloc or
# tcmalloc (often recommended for PyTorch on CPUs) also do, is part of the peer's best setup.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=68719476736"
_NO_MALLOC_TUNING = "--no-malloc-tuning"


def keep_freed_memory():
    """Re-executes this script with MALLOC_TUNABLES in GLIBC_TUNABLES (they are read only at process start),
    unless they are there already or the command line says --no-malloc-tuning (which is then removed from
    sys.argv). Call first thing, before any work."""
    if _NO_MALLOC_TUNING in sys.argv:
        sys.argv.remove(_NO_MALLOC_TUNING)
        os.environ["HYPERC_PEER_MALLOC"] = "glibc defaults (--no-malloc-tuning)"
        return
    current = os.environ.get("GLIBC_TUNABLES", "")
    if MALLOC_TUNABLES in current:
        return
    env = dict(os.environ)
    env["GLIBC_TUNABLES"] = (current + ":" if current else "") + MALLOC_TUNABLES
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def page_fault_us(mib=64):
    """Microseconds per first touch of a 4 KiB page of fresh anonymous memory (a page fault) on this machine."""
    import mmap
    import time
    size = mib << 20
    m = mmap.mmap(-1, size)
    try:
        t0 = time.perf_counter()
        for off in range(0, size, 4096):
            m[off] = 1
        return (time.perf_counter() - t0) / (size // 4096) * 1e6
    finally:
        m.close()


# ----------------------------------------------------------------------------------------------
# machine and library info
# ----------------------------------------------------------------------------------------------

def _lscpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except Exception:
        return {}
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def loaded_libs(patterns=("blas", "lapack", "gomp", "omp", "mkl")):
    """Shared objects mapped into this process whose name contains one of the patterns."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[-1].startswith("/"):
                    base = os.path.basename(parts[-1])
                    if any(p in base for p in patterns):
                        libs.add(parts[-1])
    except OSError:
        pass
    return sorted(libs)


def openblas_info():
    """(corename, config, threads) of the OpenBLAS that is loaded in this process, or None."""
    import ctypes
    for path in loaded_libs(("openblas", "libblas")):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return (lib.openblas_get_corename().decode(), lib.openblas_get_config().decode(),
                    int(lib.openblas_get_num_threads()), os.path.realpath(path))
        except (OSError, AttributeError):
            continue
    return None


def machine_info_lines():
    cpu = _lscpu()
    lines = [
        "machine: %s | %s CPU(s), %s core(s)/socket x %s socket(s), %s thread(s)/core | %s" % (
            cpu.get("Model name", platform.processor() or "?"), cpu.get("CPU(s)", "?"),
            cpu.get("Core(s) per socket", "?"), cpu.get("Socket(s)", "?"),
            cpu.get("Thread(s) per core", "?"), platform.platform()),
        "python: %s (%s)" % (platform.python_version(), sys.executable),
        "numpy: %s" % np.__version__,
    ]
    if "torch" in sys.modules:
        import torch
        lines.append("torch: %s | threads=%d interop=%d | %s" % (
            torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads(),
            torch.__config__.parallel_info().splitlines()[-1].strip() if hasattr(torch, "__config__") else ""))
    ob = openblas_info()
    if ob:
        lines.append("BLAS: %s | core kernel=%s | openblas threads=%d | %s" % (ob[3], ob[0], ob[2], ob[1]))
        if ob[0].lower() == "prescott":
            lines.append("WARNING: OpenBLAS runs its generic Prescott (SSE3) kernels: it did not recognise this CPU. "
                         "These peer figures are far below its best; set OPENBLAS_CORETYPE (bench/openblas-coretype.sh "
                         "prints the right one; bench/run.sh does this).")
    else:
        lines.append("BLAS: (no OpenBLAS loaded) libs: %s" % ", ".join(loaded_libs()))
    env = {k: os.environ.get(k) for k in ("LD_LIBRARY_PATH", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    lines.append("malloc: %s; a page fault (first touch of 4 KiB) costs %.2f us here" % (
        os.environ.get("HYPERC_PEER_MALLOC") or ("GLIBC_TUNABLES=" + os.environ["GLIBC_TUNABLES"]
                                                if MALLOC_TUNABLES in os.environ.get("GLIBC_TUNABLES", "")
                                                else "glibc defaults"), page_fault_us()))
    lines.append("load average: %s" % open("/proc/loadavg").read().strip())
    lines.append("env: " + " ".join("%s=%s" % (k, v) for k, v in env.items() if v is not None))
    return lines


class CpuMonitor:
    """Measures how much CPU other processes used while a measurement ran (the machine is shared).

    other_cpus = (machine busy CPU time - this process's CPU time) / wall time, in cores; 0 on an
    idle machine, up to the core count when something else saturates it.
    """

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK")
        self.start()

    @staticmethod
    def _busy_jiffies():
        with open("/proc/stat") as f:
            v = [int(t) for t in f.readline().split()[1:]]
        return sum(v[:8]) - v[3] - v[4]      # user nice system idle iowait irq softirq steal

    def start(self):
        import resource
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.t0, self.b0, self.s0 = _now(), self._busy_jiffies(), r.ru_utime + r.ru_stime

    def other_cpus(self):
        import resource
        r = resource.getrusage(resource.RUSAGE_SELF)
        wall = _now() - self.t0
        busy = (self._busy_jiffies() - self.b0) / self.hz
        mine = r.ru_utime + r.ru_stime - self.s0
        return max(0.0, (busy - mine) / wall) if wall > 0 else 0.0


def wait_idle(threshold=0.25, window=5.0, max_wait=600.0, quiet=False):
    """Waits until the other processes on this machine use less than `threshold` cores over a
    `window`-second sample, or until `max_wait` seconds passed. Returns the last sample (cores)."""
    import time
    t_end = time.monotonic() + max_wait
    while True:
        m = CpuMonitor()
        time.sleep(window)
        other = m.other_cpus()
        if other < threshold or time.monotonic() >= t_end:
            if not quiet:
                print("# machine %s: other processes used %.2f cores over %.0fs" % (
                    "idle" if other < threshold else "STILL BUSY after waiting %.0fs" % max_wait, other, window), flush=True)
            return other
        if not quiet:
            print("# waiting for an idle machine: other processes use %.2f cores" % other, flush=True)


def _now():
    import time
    return time.monotonic()


def print_machine_info(prefix="# "):
    for line in machine_info_lines():
        print(prefix + line)
    sys.stdout.flush()


# ----------------------------------------------------------------------------------------------
# IDX data
# ----------------------------------------------------------------------------------------------

def read_idx(path):
    """Reads an IDX file (raw or .gz) into a numpy array of its declared dtype and shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("%s: not an IDX file" % path)
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    dt, ndim = data[2], data[3]
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[dt], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise ValueError("%s: truncated (have %d values, header says %s)" % (path, arr.size, shape))
    return arr.reshape(shape)


def data_root():
    return os.environ.get("HYPERC_DATA", os.path.join(REPO, "data"))


# where FashionMNIST may also live: Debian's package installed, or extracted by hand
FASHION_FALLBACKS = ["/usr/share/datasets/fashion-mnist", "/tmp/fm/usr/share/datasets/fashion-mnist"]


def _find(dirs, split, kind):
    """kind: 'images-idx3' or 'labels-idx1'; split: 'train' or 'test' (test also matches t10k)."""
    names = [split] + (["t10k"] if split == "test" else [])
    for d in dirs:
        for n in names:
            for ext in ("", ".gz"):
                p = os.path.join(d, "%s-%s-ubyte%s" % (n, kind, ext))
                if os.path.exists(p):
                    return p
    return None


def load_dataset(name, split, limit=None):
    """name: 'mnist' or 'fashion_mnist'. Returns (x float32 [N,1,28,28] in [0,1], y int64 [N])."""
    dirs = [os.path.join(data_root(), name)]
    if name == "fashion_mnist":
        dirs += FASHION_FALLBACKS
    xi, yi = _find(dirs, split, "images-idx3"), _find(dirs, split, "labels-idx1")
    if xi is None or yi is None:
        raise FileNotFoundError(
            "%s %s data not found in %s; run scripts/fetch-data.sh (or set HYPERC_DATA)" % (name, split, dirs))
    x, y = read_idx(xi), read_idx(yi)
    if len(x) != len(y):
        raise ValueError("%s/%s: %d images but %d labels" % (xi, yi, len(x), len(y)))
    if limit is not None:
        if len(x) < limit:
            raise ValueError("%s: only %d samples, need %d" % (xi, len(x), limit))
        x, y = x[:limit], y[:limit]
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return x, y.astype(np.int64), xi
