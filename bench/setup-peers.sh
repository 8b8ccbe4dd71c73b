#!/usr/bin/env bash
# Installs the benchmark peers from Debian: PyTorch (python3-torch, which pulls in numpy) and the
# OpenMP build of OpenBLAS (libopenblas0-openmp). python3-torch alone brings the slow reference BLAS;
# the benchmarks point PyTorch at the OpenMP OpenBLAS with
#   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
# Idempotent: packages that are already installed are skipped. Needs root (or sudo) and apt-get.
set -euo pipefail

PKGS=(python3-torch libopenblas0-openmp)

missing=()
for p in "${PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        echo "setup-peers: $p already installed ($(dpkg-query -W -f='${Version}' "$p")), skipping"
    else
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-peers: all peers present"
else
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
            echo "setup-peers: need root to install: ${missing[*]}" >&2
            echo "setup-peers: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
            exit 3
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup-peers: apt-get not found; install ${missing[*]} by hand" >&2
        exit 3
    fi
    echo "setup-peers: running: apt-get update"
    $SUDO apt-get update
    echo "setup-peers: running: apt-get install -y ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
fi

dir=/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ -e "$dir/libblas.so.3" ]; then
    echo "setup-peers: OpenMP OpenBLAS at $dir (use LD_LIBRARY_PATH=$dir for torch)"
else
    echo "setup-peers: warning: $dir/libblas.so.3 not found" >&2
fi
/usr/bin/python3 -c 'import torch, numpy; print("setup-peers: torch", torch.__version__, "numpy", numpy.__version__)'
