# shellcheck shell=bash
#
# Locate a JDK 25 or newer for hyperc's launcher and test scripts.
#
# Usage (source it, don't run it -- it must change the caller's environment):
#     . scripts/find-jdk.sh
#     hyperc_find_jdk || exit 3
#
# On success JAVA_HOME is exported (Maven reads it to choose its JDK) and
# $JAVA_HOME/bin is put first on PATH, so plain `java`/`javac` agree with it.
# On failure a one-paragraph explanation goes to stderr and it returns 1.
#
# Search order:
#   1. $JAVA_HOME, if already set (the user's explicit choice wins);
#   2. the `java` on PATH, resolved through symlinks to its JDK home;
#   3. the highest version among the globs in $HYPERC_JDK_SEARCH
#      (default: "/usr/lib/jvm/* /opt/*jdk*"; override it in tests to hide
#      the machine's JDKs, e.g. HYPERC_JDK_SEARCH="/nonexistent/*").
# Every candidate must contain both bin/java and bin/javac: Maven needs the
# compiler, so a bare JRE is not enough.
#
# No `set -euo pipefail` here on purpose: this file is sourced, and changing
# shell options would leak into the caller (an interactive shell sourcing it
# would then exit on the first failing command). The code below is written to
# be safe under those options, which both callers turn on.

# The version hyperc is compiled for (maven.compiler.release in pom.xml).
HYPERC_MIN_JAVA=25

# Print the major version of the JDK at home $1 ("25", "17", ...) or fail.
_hyperc_jdk_major() {
    local home=$1 ver=''
    [[ -x $home/bin/java ]] || return 1
    # The `release` file is read first because it costs nothing, while starting
    # a JVM costs ~100 ms on every launcher invocation.
    if [[ -r $home/release ]]; then
        ver=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" 2>/dev/null || true)
        ver=${ver%%$'\n'*}
    fi
    if [[ -z $ver ]]; then
        ver=$("$home/bin/java" -XshowSettings:properties -version 2>&1 \
            | sed -n 's/^[[:space:]]*java\.specification\.version = //p' || true)
        ver=${ver%%$'\n'*}
    fi
    ver=${ver#1.}        # pre-9 JDKs say "1.8"; their major is the part after "1."
    ver=${ver%%[!0-9]*}  # "25.0.3" / "25-ea" -> "25"
    [[ -n $ver ]] || return 1
    printf '%s\n' "$ver"
}

# Check one candidate JDK home $1 for hyperc_find_jdk. It uses that function's
# locals through bash's dynamic scoping: records what it saw in `seen` (for the
# error message), skips homes already in `visited`, and sets `ver` to the major
# version. Returns 0 only for a JDK (java + javac) of the required version.
_hyperc_consider() {
    local h=$1
    ver=''
    [[ -z ${visited[$h]:-} ]] || return 1
    visited[$h]=1
    [[ -x $h/bin/java ]] || return 1
    if ! ver=$(_hyperc_jdk_major "$h"); then
        seen+=("$h (version unknown)")
        return 1
    fi
    if [[ ! -x $h/bin/javac ]]; then
        seen+=("$h = $ver, JRE only: no javac")
        return 1
    fi
    seen+=("$h = $ver")
    ((ver >= HYPERC_MIN_JAVA))
}

hyperc_find_jdk() {
    local seen=() best='' best_ver=0 home ver java_bin pattern
    local -a patterns
    local -A visited=()

    # 1. An explicit JAVA_HOME.
    if [[ -n ${JAVA_HOME:-} ]]; then
        home=$(readlink -f "$JAVA_HOME" 2>/dev/null || printf '%s' "$JAVA_HOME")
        if [[ ! -x $home/bin/java ]]; then
            seen+=("JAVA_HOME=$JAVA_HOME has no bin/java")
        elif _hyperc_consider "$home"; then
            best=$home
        fi
    fi

    # 2. The java on PATH. Debian's /usr/bin/java is a chain of alternatives
    #    symlinks, so resolve it fully and step up from .../bin/java.
    if [[ -z $best ]] && java_bin=$(command -v java 2>/dev/null); then
        java_bin=$(readlink -f "$java_bin" 2>/dev/null || printf '%s' "$java_bin")
        home=${java_bin%/bin/java}
        if [[ $home != "$java_bin" ]] && _hyperc_consider "$home"; then best=$home; fi
    fi

    # 3. Well-known install locations: take the newest usable one.
    if [[ -z $best ]]; then
        read -r -a patterns <<<"${HYPERC_JDK_SEARCH:-/usr/lib/jvm/* /opt/*jdk*}"
        for pattern in "${patterns[@]}"; do
            # compgen -G expands one glob and prints nothing when it matches
            # nothing, without touching the caller's nullglob setting.
            while IFS= read -r home; do
                [[ -d $home ]] || continue
                home=$(readlink -f "$home")  # symlinked aliases count once
                if _hyperc_consider "$home" && ((ver > best_ver)); then
                    best=$home
                    best_ver=$ver
                fi
            done < <(compgen -G "$pattern" || true)
        done
    fi

    if [[ -z $best ]]; then
        local found='nothing'
        if ((${#seen[@]} > 0)); then
            found=$(printf '%s; ' "${seen[@]}")
            found=${found%; }
        fi
        printf 'hyperc: needs a JDK %s or newer (found: %s). Install one (e.g. apt-get install temurin-%s-jdk, or any JDK %s build) and set JAVA_HOME.\n' \
            "$HYPERC_MIN_JAVA" "$found" "$HYPERC_MIN_JAVA" "$HYPERC_MIN_JAVA" >&2
        return 1
    fi

    export JAVA_HOME=$best
    # Only prepend when not already first, so sourcing twice keeps PATH tidy.
    case ":$PATH:" in
        ":$JAVA_HOME/bin:"*) ;;
        *) export PATH="$JAVA_HOME/bin:$PATH" ;;
    esac
    return 0
}
