#!/usr/bin/env bash
# Bootstrap the Autobahn Testsuite's `wstest` (Python 2.7 only) natively,
# without Docker, into a cache folder, and print the path of a launcher.
#
#   scripts/lib/wstest-bootstrap.sh        # progress on stderr, launcher path on stdout
#   "$(scripts/lib/wstest-bootstrap.sh)" -m fuzzingclient -s spec.json
#
# How: the interpreter comes from Debian bullseye's packages (PyPy 2.7 by
# preference, CPython 2.7 as the fallback), fetched with `apt-get download`
# through a private sources list and lists dir (the host's apt state is not
# touched) and unpacked with `dpkg -x`. pip 20.3.4 (the last release for
# Python 2) then installs the pinned packages from PyPI with `--target`;
# the launcher loads them with `site.addsitedir` (zope is a namespace
# package, which PYTHONPATH alone does not set up).
#
# The cache is built once and reused: each interpreter's folder holds a
# stamp with everything below that shapes it (package lists, pins,
# BOOTSTRAP_REV); when that text changes, the folder is rebuilt from
# scratch. A failed PyPy bootstrap is remembered (same stamp) so later runs
# go straight to CPython instead of paying for the failure again.
#
# Environment:
#   AUTOBAHN_CACHE          cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/rfc6455-autobahn)
#   AUTOBAHN_PYTHON         pypy | cpython: use only that interpreter (default: pypy, then cpython)
#   AUTOBAHN_DEBIAN_MIRROR  Debian mirror holding bullseye (default http://deb.debian.org/debian;
#                           http://archive.debian.org/debian once bullseye is archived)
#   AUTOBAHN_QUIET=1        no progress output (errors are still printed)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bump when the steps below change in a way the pin lists do not show.
BOOTSTRAP_REV=1

DEBIAN_SUITE=bullseye
DEBIAN_MIRROR=${AUTOBAHN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${AUTOBAHN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/rfc6455-autobahn}

# Debian packages per interpreter. The shared libraries that bookworm no
# longer ships (OpenSSL 1.1, libffi 7) come along; libssl-dev (1.1) and
# the interpreter's headers are for building cryptography and Twisted's
# C extensions.
PYPY_DEBS="pypy pypy-lib pypy-dev libssl1.1 libffi7 libssl-dev"
CPYTHON_DEBS="python2.7 python2.7-minimal libpython2.7-minimal libpython2.7-stdlib libpython2.7 libpython2.7-dev libssl1.1 libffi7 libssl-dev"

# Installed first, alone: the rest's setup.py files need them.
PIP_BOOTSTRAP="pip==20.3.4 setuptools==44.1.1 wheel==0.37.1"
# incremental must be importable before Twisted's setup.py runs, or
# setup_requires fetches the newest (Python 3 only) release.
PINS_FIRST="incremental==16.10.1"
PINS="txaio==2.1.0 Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3
markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0 six==1.16.0 unittest2==1.1.0
cryptography==3.3.2 pyOpenSSL==19.1.0 service_identity==18.1.0"
# What the pins above pull in, pinned too so that every bootstrap installs
# the same set (the last releases that support Python 2.7).
CONSTRAINTS="Automat==22.10.0 PyHamcrest==1.10.1 argparse==1.4.0 attrs==21.4.0
cffi==1.15.1 constantly==15.1.0 enum34==1.1.10 hyperlink==21.0.0 idna==2.10
ipaddress==1.0.23 linecache2==1.0.0 pyasn1==0.5.1 pyasn1-modules==0.3.0
traceback2==1.4.0 typing==3.10.0.0 pycparser==2.21"
# Installed without their declared dependencies (autobahn's extras would
# drag in packages wstest does not use).
PINS_NODEPS="autobahn==0.10.9 autobahntestsuite==0.8.2"
# CPython only: autobahn's C accelerator for masking and UTF-8 validation
# (the last release for Python 2.7, C sources included). Without it,
# CPython masks and validates byte by byte in Python, and the compression
# cases (12.*, 13.*) take hours; PyPy's JIT needs no help.
PINS_CPYTHON="wsaccel==0.6.3"

say() { [[ ${AUTOBAHN_QUIET:-0} == 1 ]] || printf '[wstest-bootstrap] %s\n' "$*" >&2; }
die() {
    printf '[wstest-bootstrap] error: %s\n' "$*" >&2
    exit 1
}

extra_pins() { # interpreter
    [[ $1 == cpython ]] && echo "$PINS_CPYTHON"
    return 0
}

stamp_text() { # interpreter
    local debs
    case $1 in
        pypy) debs=$PYPY_DEBS ;;
        cpython) debs=$CPYTHON_DEBS ;;
    esac
    printf 'rev %s\ninterpreter %s\ndebian %s %s\ndebs %s\npip %s\npins %s\n' \
        "$BOOTSTRAP_REV" "$1" "$DEBIAN_MIRROR" "$DEBIAN_SUITE" "$debs" "$PIP_BOOTSTRAP" \
        "$(echo "$PINS_FIRST $PINS $CONSTRAINTS $PINS_NODEPS $(extra_pins "$1")" | tr ' ' '\n' | sort -f | tr '\n' ' ')"
}

# Runs a step with its output in a log; on failure says which step failed
# and shows the end of the log.
step() { # description log command...
    local what=$1 log=$2
    shift 2
    say "$what"
    local t0=$SECONDS
    if ! "$@" >>"$log" 2>&1; then
        printf '[wstest-bootstrap] error: step failed: %s\n' "$what" >&2
        printf '[wstest-bootstrap] last lines of %s:\n' "$log" >&2
        tail -n 25 "$log" | sed 's/^/    /' >&2
        return 1
    fi
    say "  done in $((SECONDS - t0)) s"
}

apt_opts() { # dir
    printf '%s\n' \
        -o "Dir::Etc::SourceList=$1/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o "Dir::State::Lists=$1/lists" \
        -o "Dir::Cache=$1/cache" \
        -o Dir::State::Status=/dev/null \
        -o Debug::NoLocking=1 \
        -o Acquire::Languages=none \
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false \
        -o APT::Sandbox::User="$(id -un)"
}

apt_update() { # dir
    local dir=$1
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
        "$DEBIAN_MIRROR" "$DEBIAN_SUITE" >"$dir/sources.list"
    local opts
    mapfile -t opts < <(apt_opts "$dir")
    apt-get "${opts[@]}" update
}

apt_download() { # aptdir destdir packages...
    local aptdir=$1 dest=$2
    shift 2
    local opts
    mapfile -t opts < <(apt_opts "$aptdir")
    mkdir -p "$dest"
    (cd "$dest" && apt-get "${opts[@]}" download "$@")
}

unpack_debs() { # debdir root
    local deb
    for deb in "$1"/*.deb; do
        dpkg -x "$deb" "$2"
    done
}

# Writes the launcher: an executable `bin/wstest` inside the interpreter's
# folder, relocatable (paths relative to itself), which starts wstest
# through a copy of wstest_main.py (periodic garbage collection, peak
# memory report). Rewritten on every call, so a change to either reaches a
# cache built before it without a rebuild.
write_launcher() { # dir interpreter-relative-path
    local dir=$1 interp=$2
    mkdir -p "$dir/bin"
    cp "$HERE/wstest_main.py" "$dir/wstest_main.py.tmp"
    mv -f "$dir/wstest_main.py.tmp" "$dir/wstest_main.py"
    cat >"$dir/bin/wstest.tmp" <<EOF
#!/bin/sh
# wstest (autobahntestsuite 0.8.2) on a private Python 2.7; made by
# scripts/lib/wstest-bootstrap.sh. WSTEST_GC_INTERVAL and WSTEST_PEAK_FILE:
# see wstest_main.py beside bin/.
here=\$(cd "\$(dirname "\$0")/.." && pwd)
LD_LIBRARY_PATH="\$here/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
unset PYTHONHOME PYTHONPATH
PYTHONNOUSERSITE=1 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export PYTHONNOUSERSITE PYTHONUNBUFFERED PYTHONDONTWRITEBYTECODE
exec "\$here/root/$interp" -W ignore "\$here/wstest_main.py" "\$here/site" "\$here/site-autobahn" -- "\$@"
EOF
    chmod +x "$dir/bin/wstest.tmp"
    mv -f "$dir/bin/wstest.tmp" "$dir/bin/wstest"
}

interp_of() { # interpreter
    case $1 in
        pypy) echo usr/bin/pypy ;;
        cpython) echo usr/bin/python2.7 ;;
    esac
}

# Builds one interpreter's folder in $CACHE/<name>.new, checks it, then
# moves it into place. Returns non-zero (having said why) on failure.
build() { # interpreter
    local name=$1 dir=$CACHE/$1.new log=$CACHE/$1.log debs interp
    case $name in
        pypy) debs=$PYPY_DEBS ;;
        cpython) debs=$CPYTHON_DEBS ;;
    esac
    interp=$(interp_of "$name")
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$log"
    say "bootstrapping wstest on $name into $CACHE/$name (log: $log)"
    local t0=$SECONDS

    step "apt-get update ($DEBIAN_SUITE, private lists)" "$log" apt_update "$CACHE/apt" || return 1
    # shellcheck disable=SC2086 # word splitting intended
    step "apt-get download $debs" "$log" apt_download "$CACHE/apt" "$dir/debs" $debs || return 1
    step "unpack the packages (dpkg -x)" "$log" unpack_debs "$dir/debs" "$dir/root" || return 1
    rm -rf "$dir/debs"

    local py=$dir/root/$interp lib=$dir/root/usr/lib/x86_64-linux-gnu
    export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    unset PYTHONHOME PYTHONPATH
    export PYTHONNOUSERSITE=1
    step "check the interpreter starts" "$log" \
        "$py" -c 'import sys, ssl, zlib, ctypes; print(sys.version)' || return 1

    # The pip wheel comes from PyPI through the host's pip; the private
    # interpreter then runs pip straight from that wheel to install itself.
    local host_py
    host_py=$(command -v python3 || true)
    if [[ -z $host_py ]] || ! "$host_py" -m pip --version >/dev/null 2>&1; then
        say "error: python3 with pip is needed to fetch pip 20.3.4 (apt-get install python3-pip)"
        return 1
    fi
    # shellcheck disable=SC2086
    step "fetch $PIP_BOOTSTRAP (python3 -m pip download)" "$log" \
        "$host_py" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$dir/wheels" $PIP_BOOTSTRAP || return 1
    local pip_whl
    pip_whl=$(echo "$dir"/wheels/pip-*.whl)
    local pip_common=(--disable-pip-version-check --no-warn-script-location --no-compile)
    # shellcheck disable=SC2086
    step "install pip, setuptools, wheel" "$log" \
        "$py" "$pip_whl/pip" install "${pip_common[@]}" --no-index --find-links "$dir/wheels" \
        --target "$dir/pip" $PIP_BOOTSTRAP || return 1
    rm -rf "$dir/wheels"

    # Builds from source (Twisted, cryptography on PyPy) find the
    # interpreter's headers and OpenSSL 1.1 in the private root; build
    # isolation is off because its nested pip would fetch unpinned tools.
    export PYTHONPATH="$dir/pip:$dir/site"
    # (python2.7/: CPython's own headers, which its sysconfig places under
    # the host's /usr/include.)
    export CFLAGS="-I$dir/root/usr/include -I$dir/root/usr/include/x86_64-linux-gnu"
    CFLAGS+=" -I$dir/root/usr/include/python2.7 -I$dir/root/usr/include/x86_64-linux-gnu/python2.7"
    export LDFLAGS="-L$lib"
    export PIP_CACHE_DIR="$CACHE/pip-cache"
    echo "$CONSTRAINTS" | tr ' ' '\n' >"$dir/constraints.txt"
    local pip_install=("$py" -m pip install "${pip_common[@]}" --no-build-isolation)
    step "install $PINS_FIRST" "$log" \
        "${pip_install[@]}" --target "$dir/site" -c "$dir/constraints.txt" $PINS_FIRST || return 1
    # shellcheck disable=SC2086
    step "install the pinned packages (Twisted, cryptography, ...; builds C extensions)" "$log" \
        "${pip_install[@]}" --target "$dir/site" -c "$dir/constraints.txt" $PINS || return 1
    # A separate target: autobahntestsuite ships twisted/plugins and bin/,
    # which pip --target would refuse to merge into site/.
    # shellcheck disable=SC2086
    step "install $PINS_NODEPS (--no-deps)" "$log" \
        "${pip_install[@]}" --no-deps --target "$dir/site-autobahn" $PINS_NODEPS || return 1
    local extra
    extra=$(extra_pins "$name")
    if [[ -n $extra ]]; then
        # shellcheck disable=SC2086
        step "install $extra (--no-deps; builds a C extension)" "$log" \
            "${pip_install[@]}" --no-deps --target "$dir/site" $extra || return 1
    fi
    unset PYTHONPATH CFLAGS LDFLAGS

    write_launcher "$dir" "$interp"
    step "check wstest runs (wstest --autobahnversion)" "$log" "$dir/bin/wstest" --autobahnversion || return 1
    if ! grep -q 'AutobahnTestSuite 0.8.2' "$log"; then
        say "error: wstest did not report AutobahnTestSuite 0.8.2 (see $log)"
        return 1
    fi

    stamp_text "$name" >"$dir/stamp"
    rm -rf "${CACHE:?}/$name"
    mv "$dir" "$CACHE/$name"
    rm -f "$CACHE/$name.failed"
    say "wstest on $name ready in $((SECONDS - t0)) s"
}

ready() { # interpreter
    [[ -x $CACHE/$1/bin/wstest && -f $CACHE/$1/stamp ]] &&
        [[ "$(cat "$CACHE/$1/stamp")" == "$(stamp_text "$1")" ]]
}

failed_before() { # interpreter
    [[ -f $CACHE/$1.failed ]] && [[ "$(cat "$CACHE/$1.failed")" == "$(stamp_text "$1")" ]]
}

main() {
    if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
        die "native wstest needs apt-get and dpkg (a Debian-like system); install Docker instead"
    fi
    [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] ||
        die "missing /usr/share/keyrings/debian-archive-keyring.gpg (apt-get install debian-archive-keyring)"
    mkdir -p "$CACHE" || die "cannot create the cache folder $CACHE"

    local candidates
    case ${AUTOBAHN_PYTHON:-} in
        '') candidates="pypy cpython" ;;
        pypy | cpython) candidates=$AUTOBAHN_PYTHON ;;
        *) die "AUTOBAHN_PYTHON must be pypy or cpython, not '$AUTOBAHN_PYTHON'" ;;
    esac

    # One bootstrap at a time per cache.
    exec 9>"$CACHE/.lock"
    if ! flock -n 9; then
        say "another bootstrap holds $CACHE/.lock; waiting"
        flock 9
    fi

    local name
    for name in $candidates; do
        if ready "$name"; then
            write_launcher "$CACHE/$name" "$(interp_of "$name")"
            echo "$CACHE/$name/bin/wstest"
            return 0
        fi
    done
    for name in $candidates; do
        if [[ -z ${AUTOBAHN_PYTHON:-} ]] && failed_before "$name"; then
            say "skipping $name: its bootstrap failed before with these pins (log: $CACHE/$name.log;" \
                "delete $CACHE/$name.failed to retry)"
            continue
        fi
        if (build "$name"); then
            echo "$CACHE/$name/bin/wstest"
            return 0
        fi
        stamp_text "$name" >"$CACHE/$name.failed"
        rm -rf "${CACHE:?}/$name.new"
        say "bootstrap on $name failed (full log: $CACHE/$name.log)"
    done
    die "could not bootstrap wstest natively (tried: $candidates); see the logs above"
}

main "$@"
