#!/usr/bin/env bash
# Runs the Autobahn Testsuite (wstest) against our testees and compares
# every case with the baseline in autobahn/expected-{server,client}.json.
#
#   scripts/autobahn.sh [server|client|all] [--cases PATTERN] [--update-expected] [--tls]
#   scripts/autobahn.sh server --testee hyper_echo|axum_echo [--cases PATTERN]
#
# server  wstest -m fuzzingclient drives target/release/fuzzserver
# client  target/release/fuzzclient drives wstest -m fuzzingserver
# all     both (the default)
#
# --cases PATTERN     only these wstest cases: `6.4.*`, `1.1.1`, or a
#                     comma-separated list (`1.*,9.1.*`); only they are compared
# --update-expected   rewrite the baseline from this run (exit 0 on regressions)
# --tls               over TLS (wss://) with a self-signed certificate made for
#                     the run (openssl, else rcgen): fuzzserver --tls, and
#                     wstest's fuzzingserver with that key; fuzzclient trusts
#                     it with --ca. Cases 1.* to 7.* unless --cases says
#                     otherwise, compared with the same baseline (TLS must not
#                     change a verdict); reports go to reports/autobahn-tls/.
#                     Not with --update-expected (the baseline is plain ws://).
# --testee NAME       the server role only, against the rfc6455 example NAME
#                     (hyper_echo: on hyper; axum_echo: on axum) instead of
#                     fuzzserver: built with `cargo build --release --example
#                     NAME -p rfc6455`, run with --addr. Cases 1.* to 7.*
#                     unless --cases says otherwise, compared with the
#                     server baseline (the HTTP stack must not change a
#                     verdict); reports go to reports/autobahn-NAME/server/.
#                     Not with client, --tls or --update-expected.
#
# wstest runs in Docker (crossbario/autobahn-testsuite) when an engine
# answers, else natively on a Python 2.7 bootstrapped once into a cache
# (scripts/lib/wstest-bootstrap.sh). Reports go to reports/autobahn/ROLE/
# (reports/autobahn-tls/ROLE/ with --tls, reports/autobahn-NAME/server/ with
# --testee NAME).
#
# Environment:
#   AUTOBAHN_RUNNER        auto | docker | native (default auto)
#   AUTOBAHN_CACHE         native wstest cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/rfc6455-autobahn)
#   AUTOBAHN_PYTHON        pypy | cpython: force the native interpreter
#   AUTOBAHN_SERVER_ADDR   where fuzzserver (or the --testee) listens (default 127.0.0.1:9001)
#   AUTOBAHN_CLIENT_ADDR   where wstest's fuzzingserver listens (default 127.0.0.1:9002)
#   AUTOBAHN_TIMEOUT       seconds one role may take before it is stopped (default 1800)
#   AUTOBAHN_PARALLEL      1 (default): with both roles, run them at the same
#                          time (wstest is single-threaded; this halves the
#                          wall time on two cores); 0: one after the other
#   AUTOBAHN_DOCKER_IMAGE  default crossbario/autobahn-testsuite:0.8.2
#   AUTOBAHN_WSTEST_MAX_MEMORY
#                          the most resident memory wstest may take in one role
#                          (default 4G; K, M, G, T suffixes, binary units): past
#                          it the role is stopped and fails, saying so. Each
#                          role's summary shows wstest's peak.
#   AUTOBAHN_GC_INTERVAL   seconds between wstest's full garbage collections
#                          (default 0.5; 0 turns them off). Under PyPy a zlib
#                          stream is freed only by a collection, which its
#                          memory does not trigger: without them, cases 12.*
#                          and 13.* grow wstest past 24 GiB (wstest_main.py).
#
# Exit status: 0 when no case regressed, 1 on a regression or a failed
# run, 2 on a usage error.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPORTS=$ROOT/reports/autobahn
# What --tls and --testee run when --cases does not say: the framing,
# pings, fragments, UTF-8 and closing groups, where TLS or another HTTP
# stack could break reads and writes; 9.* (big messages) and 12.*/13.*
# (deflate) take long and test nothing either adds.
SHORT_CASES='1.*,2.*,3.*,4.*,5.*,6.*,7.*'
# The examples --testee may name.
TESTEES='hyper_echo axum_echo'
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
TOOL=$TARGET/autobahn-report
AGENT=rfc6455
SERVER_ADDR=${AUTOBAHN_SERVER_ADDR:-127.0.0.1:9001}
CLIENT_ADDR=${AUTOBAHN_CLIENT_ADDR:-127.0.0.1:9002}
ROLE_TIMEOUT=${AUTOBAHN_TIMEOUT:-1800}
PARALLEL=${AUTOBAHN_PARALLEL:-1}
DOCKER_IMAGE=${AUTOBAHN_DOCKER_IMAGE:-crossbario/autobahn-testsuite:0.8.2}
MAX_MEMORY_TEXT=${AUTOBAHN_WSTEST_MAX_MEMORY:-4G}
export WSTEST_GC_INTERVAL=${AUTOBAHN_GC_INTERVAL:-0.5}

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

say() { printf '==> %s\n' "$*"; }
warn() { printf 'autobahn.sh: warning: %s\n' "$*" >&2; }
# Inside a role, the reason also goes to ROLE_OUT/failure.txt, which the
# final summary shows in place of (or beside) the role's summary.
ROLE_OUT=
die() {
    printf 'autobahn.sh: error: %s\n' "$*" >&2
    [[ -n $ROLE_OUT && -d $ROLE_OUT ]] && printf '%s\n' "$*" >>"$ROLE_OUT/failure.txt"
    exit 1
}

# 4G, 512M, 4GiB or a count of bytes -> bytes (binary units).
parse_size() { # text
    [[ $1 =~ ^([0-9]+)([KkMmGgTt]?)(i?B)?$ ]] || return 1
    local n=${BASH_REMATCH[1]}
    case ${BASH_REMATCH[2]^^} in
        K) n=$((n << 10)) ;;
        M) n=$((n << 20)) ;;
        G) n=$((n << 30)) ;;
        T) n=$((n << 40)) ;;
    esac
    echo "$n"
}
human() { # bytes
    awk -v b="$1" 'BEGIN {
        if (b >= 1073741824) printf "%.2f GiB", b / 1073741824
        else printf "%.0f MiB", b / 1048576 }'
}

# Shows the end of a log under an error.
show_log() { # file [lines]
    [[ -s $1 ]] || return 0
    printf '    last lines of %s:\n' "$1" >&2
    tail -n "${2:-20}" "$1" | sed 's/^/    | /' >&2
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------
# Arguments

ROLES=
CASES=
UPDATE=0
TLS=0
TESTEE=
while (($#)); do
    case $1 in
        server | client | all) ROLES=$1 ;;
        --testee)
            (($# >= 2)) || {
                usage >&2
                exit 2
            }
            TESTEE=$2
            shift
            ;;
        --testee=*) TESTEE=${1#--testee=} ;;
        --cases)
            (($# >= 2)) || {
                usage >&2
                exit 2
            }
            CASES=$2
            shift
            ;;
        --cases=*) CASES=${1#--cases=} ;;
        --update-expected) UPDATE=1 ;;
        --tls) TLS=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            printf 'autobahn.sh: unknown argument: %s\n\n' "$1" >&2
            usage >&2
            exit 2
            ;;
    esac
    shift
done
if [[ -n $TESTEE ]]; then
    bad=
    [[ " $TESTEES " == *" $TESTEE "* ]] || bad="--testee is one of: $TESTEES; got: $TESTEE"
    [[ ${ROLES:-server} == server ]] || bad="--testee runs the server role only, not $ROLES"
    ((TLS)) && bad="--testee serves plain ws:// only, not --tls"
    ((UPDATE)) && bad="--testee compares with fuzzserver's baseline and never rewrites it"
    if [[ -n $bad ]]; then
        printf 'autobahn.sh: %s\n' "$bad" >&2
        exit 2
    fi
    ROLES=server
    CASES=${CASES:-$SHORT_CASES}
    REPORTS=$ROOT/reports/autobahn-$TESTEE
fi
[[ ${ROLES:-all} == all ]] && ROLES="server client"
if ((TLS)); then
    if ((UPDATE)); then
        printf 'autobahn.sh: --tls compares with the plain ws:// baseline and never rewrites it;
' >&2
        printf '             run --update-expected without --tls
' >&2
        exit 2
    fi
    CASES=${CASES:-$SHORT_CASES}
    REPORTS=$ROOT/reports/autobahn-tls
fi
SCHEME=ws
((TLS)) && SCHEME=wss
if ! MAX_MEMORY=$(parse_size "$MAX_MEMORY_TEXT") || ((MAX_MEMORY == 0)); then
    printf 'autobahn.sh: AUTOBAHN_WSTEST_MAX_MEMORY wants a size like 4G, 2048M or 4294967296; got: %s\n' \
        "$MAX_MEMORY_TEXT" >&2
    exit 2
fi
if [[ ! $WSTEST_GC_INTERVAL =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    printf 'autobahn.sh: AUTOBAHN_GC_INTERVAL wants seconds like 0.5 (0: off); got: %s\n' \
        "$WSTEST_GC_INTERVAL" >&2
    exit 2
fi
if [[ -n $CASES && ! $CASES =~ ^[0-9.*]+(,[0-9.*]+)*$ ]]; then
    printf 'autobahn.sh: --cases wants wstest case patterns like 6.4.* or 1.1.1,2.*; got: %s\n' "$CASES" >&2
    exit 2
fi

# ---------------------------------------------------------------------------
# Cleanup: every background process this script starts is in PIDS (and
# every container in CONTAINERS); the EXIT trap stops them, also after
# Ctrl-C (INT) or a failure.

PIDS=()
CONTAINERS=()
RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rfc6455-autobahn.XXXXXX")

alive() { # pid: running (not a zombie)
    local state
    state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}

stop_pid() { # pid
    local pid=$1 _
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 30); do
        alive "$pid" || break
        sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? pid name
    trap - EXIT INT TERM
    [[ -t 1 ]] && printf '\r\033[K'
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    for name in "${CONTAINERS[@]}"; do
        docker rm -f "$name" >/dev/null 2>&1 || true
    done
    rm -rf "$RUN_TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'printf "\nautobahn.sh: interrupted\n" >&2; exit 130' INT
trap 'printf "\nautobahn.sh: terminated\n" >&2; exit 143' TERM

# ---------------------------------------------------------------------------
# Ports

port_open() { # host port
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

port_free() { # host port who
    if port_open "$1" "$2"; then
        local by=
        if command -v ss >/dev/null; then
            by=$(ss -ltnpH "sport = :$2" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n 1)
        fi
        die "port $2 on $1 is already in use${by:+ (by $by)}; $3 needs it." \
            "Stop that process, or pick another address with AUTOBAHN_SERVER_ADDR / AUTOBAHN_CLIENT_ADDR."
    fi
}

wait_listen() { # host port pid who log seconds
    local host=$1 port=$2 pid=$3 who=$4 log=$5 deadline=$((SECONDS + $6))
    until port_open "$host" "$port"; do
        if ! alive "$pid"; then
            local status=0
            wait "$pid" || status=$?
            show_log "$log"
            die "$who exited (status $status) before listening on $host:$port"
        fi
        if ((SECONDS > deadline)); then
            show_log "$log"
            die "$who did not listen on $host:$port within $6 s"
        fi
        sleep 0.1
    done
}

# ---------------------------------------------------------------------------
# wstest: Docker or native

RUNNER=
WSTEST=
choose_runner() {
    local want=${AUTOBAHN_RUNNER:-auto}
    case $want in
        auto | docker | native) ;;
        *) die "AUTOBAHN_RUNNER must be auto, docker or native, not '$want'" ;;
    esac
    if [[ $want != native ]]; then
        if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
            if docker image inspect "$DOCKER_IMAGE" >/dev/null 2>&1 ||
                { say "pulling $DOCKER_IMAGE" && docker pull "$DOCKER_IMAGE"; }; then
                RUNNER=docker
                say "wstest: Docker image $DOCKER_IMAGE"
                return
            fi
            [[ $want == docker ]] && die "cannot pull the Docker image $DOCKER_IMAGE"
            warn "cannot pull $DOCKER_IMAGE; running wstest natively instead"
        elif [[ $want == docker ]]; then
            die "AUTOBAHN_RUNNER=docker but no Docker engine answers (docker info failed)"
        fi
    fi
    RUNNER=native
    local t0
    t0=$(now)
    WSTEST=$("$ROOT/scripts/lib/wstest-bootstrap.sh") ||
        die "could not set up wstest natively (see the bootstrap messages above)"
    say "wstest: native, $WSTEST (ready in $(since "$t0") s)"
}

WSTEST_PID=
WSTEST_CONTAINER=
PEAK_FILE=
start_wstest() { # log args...
    local log=$1
    shift
    : >"$log" # exists before watch_progress opens it
    # wstest_main.py writes the process's peak memory here when it exits.
    PEAK_FILE=$RUN_TMP/wstest-peak-$BASHPID.kib
    rm -f "$PEAK_FILE"
    MEM_PID=
    PEAK_KIB=0
    OOM_KILLS=$(oom_kills)
    if [[ $RUNNER == docker ]]; then
        local name=rfc6455-autobahn-$$-$BASHPID-${#CONTAINERS[@]}
        CONTAINERS+=("$name")
        WSTEST_CONTAINER=$name
        # Host networking: wstest and the testees meet on 127.0.0.1. The
        # reports are written as the calling user, so they stay removable.
        # wstest starts through wstest_main.py (periodic collections, peak
        # memory) on the image's own interpreter.
        # shellcheck disable=SC2016 # expanded by the container's sh
        docker run --rm --name "$name" --network host -u "$(id -u):$(id -g)" \
            -e HOME=/tmp -e PYTHONUNBUFFERED=1 -e WSTEST_GC_INTERVAL -e WSTEST_PEAK_FILE="$PEAK_FILE" \
            -v "$ROOT:$ROOT" -v "$RUN_TMP:$RUN_TMP" -w "$RUN_TMP" --entrypoint /bin/sh "$DOCKER_IMAGE" \
            -c 'exec "$(command -v pypy || command -v python2 || command -v python)" "$@"' wstest \
            "$ROOT/scripts/lib/wstest_main.py" -- "$@" >"$log" 2>&1 &
    else
        (cd "$RUN_TMP" && WSTEST_PEAK_FILE=$PEAK_FILE exec "$WSTEST" "$@") >"$log" 2>&1 &
    fi
    WSTEST_PID=$!
    PIDS+=("$WSTEST_PID")
}

# ---------------------------------------------------------------------------
# wstest's memory: the kernel's peak resident size (VmHWM) of its process,
# read with every progress tick, and past AUTOBAHN_WSTEST_MAX_MEMORY the
# role stops with a clear failure instead of the kernel's OOM killer
# ending it (this machine has no swap). The peak that wstest_main.py
# reports at exit covers the last moments between two ticks.

MEM_PID=   # the process whose /proc/PID/status is wstest's memory
PEAK_KIB=0 # the highest VmHWM seen
OOM_KILLS= # /proc/vmstat's oom_kill when wstest started

oom_kills() {
    local key value
    while read -r key value; do
        [[ $key == oom_kill ]] && {
            echo "$value"
            return
        }
    done </proc/vmstat 2>/dev/null
    echo 0
}

sample_memory() { # role
    if [[ -z $MEM_PID ]]; then
        if [[ $RUNNER == docker ]]; then
            MEM_PID=$(docker inspect -f '{{.State.Pid}}' "$WSTEST_CONTAINER" 2>/dev/null) || MEM_PID=
            [[ $MEM_PID == 0 ]] && MEM_PID=
        else
            MEM_PID=$WSTEST_PID
        fi
        [[ -n $MEM_PID ]] || return 0
    fi
    local key value _ rss=0 hwm=0
    while read -r key value _; do
        case $key in
            VmHWM:) hwm=$value ;;
            VmRSS:) rss=$value ;;
        esac
    done 2>/dev/null <"/proc/$MEM_PID/status" || return 0
    ((hwm > PEAK_KIB)) && PEAK_KIB=$hwm
    if ((rss * 1024 > MAX_MEMORY)); then
        stop_wstest
        ((PROGRESS_TTY)) && printf '\n'
        local why="with collections every $WSTEST_GC_INTERVAL s (AUTOBAHN_GC_INTERVAL) a run stays under 2 GiB"
        [[ $WSTEST_GC_INTERVAL =~ ^0*(\.0*)?$ ]] && why="its garbage collections are off (AUTOBAHN_GC_INTERVAL=0)"
        die "the $1 role's wstest passed its memory bound: $(human $((rss * 1024))) resident," \
            "over $(human "$MAX_MEMORY") (AUTOBAHN_WSTEST_MAX_MEMORY), $(progress_point); stopped it;" \
            "$why"
    fi
}

# Folds wstest's own report of its peak (written at exit) into PEAK_KIB.
final_peak() {
    local kib
    if [[ -s $PEAK_FILE ]] && read -r kib <"$PEAK_FILE" && [[ $kib =~ ^[0-9]+$ ]]; then
        ((kib > PEAK_KIB)) && PEAK_KIB=$kib
    fi
    return 0
}

# "at case 12.4.8 (431/517), 262 s in; wstest's peak memory 1.20 GiB"
progress_point() {
    local where
    if [[ -n $CASE_ID ]]; then
        where="at case $CASE_ID ($CASE_COUNT/$CASE_TOTAL), $((SECONDS - CASE_STARTED)) s in"
    else
        where="before wstest's first case"
    fi
    ((PEAK_KIB > 0)) && where+="; wstest's peak memory so far $(human $((PEAK_KIB * 1024)))"
    printf '%s' "$where"
}

# "status 137: killed by SIGKILL, from the kernel's out-of-memory killer"
describe_status() { # status
    local status=$1
    if ((status > 128)); then
        local sig
        sig=$(kill -l $((status - 128)) 2>/dev/null) || sig="signal $((status - 128))"
        local text="status $status: killed by SIG$sig"
        if [[ $sig == KILL ]] && (($(oom_kills) > ${OOM_KILLS:-0})); then
            text+=", from the kernel's out-of-memory killer (/proc/vmstat's oom_kill went up;"
            text+=" lower AUTOBAHN_WSTEST_MAX_MEMORY so that the bound stops it first)"
        fi
        printf '%s' "$text"
    else
        printf 'status %s' "$status"
    fi
}

stop_wstest() {
    stop_pid "$WSTEST_PID"
    if [[ -n $WSTEST_CONTAINER ]]; then
        docker rm -f "$WSTEST_CONTAINER" >/dev/null 2>&1 || true
        WSTEST_CONTAINER=
    fi
}

# ---------------------------------------------------------------------------
# Progress: follows wstest's log while PID runs and turns its
# "Running test case ID 6.4.3 ..." lines into "[75/517] 6.4.3": one line
# rewritten in place on a terminal; otherwise a line per case group and
# at most one every 15 s. Each tick also samples wstest's memory. When PID
# is not wstest itself (the client role follows fuzzclient), it stops
# following as soon as wstest dies, for the caller to say so.

# Where the run is, for progress and failure messages.
CASE_ID=
CASE_COUNT=0
CASE_TOTAL='?'
CASE_STARTED=$SECONDS
PROGRESS_TTY=0

watch_progress() { # log pid role
    local log=$1 pid=$2 role=$3 fd line='' part='' group='' shown=0 printed=0
    CASE_ID= CASE_COUNT=0 CASE_TOTAL='?' CASE_STARTED=$SECONDS PROGRESS_TTY=0
    [[ -t 1 ]] && PROGRESS_TTY=1
    local deadline=$((SECONDS + ROLE_TIMEOUT))
    exec {fd}<"$log"
    while :; do
        if IFS= read -r -u "$fd" part; then
            show_progress_line "$line$part"
            line=
            continue
        fi
        # At the end of the log for now; `part` holds a line's start, if any.
        line+=$part
        sample_memory "$role"
        if ! alive "$pid" || { [[ $pid != "$WSTEST_PID" ]] && ! alive "$WSTEST_PID"; }; then
            while IFS= read -r -u "$fd" part; do
                show_progress_line "$line$part"
                line=
            done
            line+=$part
            [[ -n $line ]] && show_progress_line "$line"
            break
        fi
        if ((SECONDS > deadline)); then
            ((PROGRESS_TTY)) && printf '\n'
            die "the $role run did not finish within $ROLE_TIMEOUT s (AUTOBAHN_TIMEOUT), $(progress_point)"
        fi
        sleep 0.2
    done
    exec {fd}<&-
    if ((PROGRESS_TTY)); then
        printf '\n'
    elif [[ -n $CASE_ID && $printed != "$CASE_COUNT" ]]; then
        progress_line
        printf '\n'
    fi
}

progress_line() {
    local mem=
    ((PEAK_KIB > 0)) && mem="  wstest $(human $((PEAK_KIB * 1024)))"
    printf '    [%3s/%s] %-8s %3d s%s' "$CASE_COUNT" "$CASE_TOTAL" "$CASE_ID" \
        $((SECONDS - CASE_STARTED)) "$mem"
}

# Uses watch_progress's locals (group, shown, printed) through bash's
# dynamic scope.
show_progress_line() { # line
    case $1 in
        *"Ok, will run "*" test cases"*)
            CASE_TOTAL=${1#*will run }
            CASE_TOTAL=${CASE_TOTAL%% *}
            ;;
        "Running test case ID "*)
            CASE_ID=${1#Running test case ID }
            CASE_ID=${CASE_ID%% *}
            CASE_COUNT=$((CASE_COUNT + 1))
            if ((PROGRESS_TTY)); then
                printf '\r\033[K'
                progress_line
            elif [[ ${CASE_ID%%.*} != "$group" ]] || ((SECONDS - shown >= 15)); then
                progress_line
                printf '\n'
                printed=$CASE_COUNT
                group=${CASE_ID%%.*}
                shown=$SECONDS
            fi
            ;;
        "Connection to "*" failed"*)
            ((PROGRESS_TTY)) && printf '\n'
            warn "wstest: ${1}"
            ;;
    esac
}

# ---------------------------------------------------------------------------
# TLS: one self-signed certificate for 127.0.0.1 and localhost, made for the
# run in RUN_TMP (which the Docker runner mounts). It is not a CA
# (CA:FALSE), so rustls accepts it as the server's own certificate while
# fuzzclient trusts it as its only anchor (--ca).

TLS_CERT=
TLS_KEY=
make_cert() {
    local dir=$RUN_TMP/tls
    mkdir -p "$dir"
    TLS_CERT=$dir/cert.pem
    TLS_KEY=$dir/key.pem
    if command -v openssl >/dev/null; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$TLS_KEY" -out "$TLS_CERT" -days 2 -subj /CN=127.0.0.1 \
            -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
            -addext basicConstraints=critical,CA:FALSE >"$dir/openssl.log" 2>&1 || {
            show_log "$dir/openssl.log"
            die "openssl could not make the TLS certificate"
        }
        say "TLS: self-signed certificate for 127.0.0.1 (openssl)"
    else
        (cd "$ROOT" && cargo run --quiet --release -p testee --example tls-cert -- "$TLS_CERT" "$TLS_KEY") ||
            die "could not make the TLS certificate (no openssl; cargo run --example tls-cert failed)"
        say "TLS: self-signed certificate for 127.0.0.1 (rcgen: no openssl here)"
    fi
}

# ---------------------------------------------------------------------------
# Roles

# Writes the run's spec from the template (outdir, url, cases, and for
# wstest's fuzzingserver over TLS its key and certificate).
write_spec() { # template out outdir url role
    local args=(spec --template "$1" --out "$2" --outdir "$3" --url "$4")
    [[ -n $CASES ]] && args+=(--cases "$CASES" --check-against "$ROOT/autobahn/expected-$5.json")
    ((TLS)) && [[ $5 == client ]] && args+=(--key "$TLS_KEY" --cert "$TLS_CERT")
    "$TOOL" "${args[@]}" || die "could not write the wstest spec for the $5 role"
}

fresh_outdir() { # dir
    rm -rf "$1"
    mkdir -p "$1"
}

# "native pypy", "native cpython" or "docker IMAGE", for the summary.
wstest_label() {
    if [[ $RUNNER == docker ]]; then
        printf 'docker %s' "$DOCKER_IMAGE"
    else
        printf 'native %s' "$(basename "$(dirname "$(dirname "$WSTEST")")")"
    fi
}

# Compares the run with the baseline; the summary lands in ROLE/summary.txt.
compare() { # role outdir elapsed
    local role=$1 out=$2
    [[ -s $out/index.json ]] || {
        show_log "$out/wstest.log"
        die "wstest wrote no $out/index.json for the $role role"
    }
    # Paths relative to the repository read better in the summary.
    local args=(compare --role "$role" --agent "$AGENT" --index "${out#"$ROOT/"}/index.json"
        --expected "autobahn/expected-$role.json" --elapsed "$3")
    [[ -n $CASES ]] && args+=(--cases "$CASES")
    ((UPDATE)) && args+=(--update)
    args+=(--wstest "$(wstest_label)" --wstest-max "$MAX_MEMORY")
    ((PEAK_KIB > 0)) && args+=(--wstest-peak $((PEAK_KIB * 1024)))
    local status=0
    (cd "$ROOT" && "$TOOL" "${args[@]}") >"$out/summary.txt" 2>&1 || status=$?
    ((status <= 1)) || {
        cat "$out/summary.txt" >&2
        die "autobahn-report could not compare the $role run"
    }
    return "$status"
}

run_server() {
    local out=$REPORTS/server host=${SERVER_ADDR%:*} port=${SERVER_ADDR##*:}
    local name=${TESTEE:-fuzzserver} bin=$TARGET/fuzzserver
    [[ -n $TESTEE ]] && bin=$TARGET/examples/$TESTEE
    say "server role: wstest -m fuzzingclient against $name on $SCHEME://$SERVER_ADDR"
    fresh_outdir "$out"
    ROLE_OUT=$out
    write_spec "$ROOT/autobahn/fuzzingclient.json" "$RUN_TMP/fuzzingclient.json" "$out" \
        "$SCHEME://$SERVER_ADDR" server
    port_free "$host" "$port" "$name"
    local tls_args=()
    ((TLS)) && tls_args=(--tls "$TLS_CERT" "$TLS_KEY")
    "$bin" --addr "$SERVER_ADDR" "${tls_args[@]}" >"$out/$name.log" 2>&1 &
    local server=$!
    PIDS+=("$server")
    wait_listen "$host" "$port" "$server" "$name" "$out/$name.log" 15

    local t0 status=0
    t0=$(now)
    start_wstest "$out/wstest.log" -m fuzzingclient -s "$RUN_TMP/fuzzingclient.json"
    watch_progress "$out/wstest.log" "$WSTEST_PID" server
    wait "$WSTEST_PID" || status=$?
    final_peak
    local elapsed
    elapsed=$(since "$t0")
    if ((status != 0)); then
        show_log "$out/wstest.log"
        die "wstest -m fuzzingclient failed ($(describe_status "$status")) $(progress_point)"
    fi
    local crashed=0
    if ! alive "$server"; then
        status=0
        wait "$server" || status=$?
        show_log "$out/$name.log"
        warn "$name exited during the run ($(describe_status "$status")); the cases after that failed"
        printf '%s exited during the run (%s); the cases after that failed\n' "$name" \
            "$(describe_status "$status")" >>"$out/failure.txt"
        crashed=1
    fi
    stop_pid "$server"
    compare server "$out" "$elapsed" || return 1
    ((crashed == 0))
}

run_client() {
    local out=$REPORTS/client host=${CLIENT_ADDR%:*} port=${CLIENT_ADDR##*:}
    say "client role: fuzzclient against wstest -m fuzzingserver on $SCHEME://$CLIENT_ADDR"
    fresh_outdir "$out"
    ROLE_OUT=$out
    write_spec "$ROOT/autobahn/fuzzingserver.json" "$RUN_TMP/fuzzingserver.json" "$out" \
        "$SCHEME://$CLIENT_ADDR" client
    port_free "$host" "$port" "wstest -m fuzzingserver"
    start_wstest "$out/wstest.log" -m fuzzingserver -s "$RUN_TMP/fuzzingserver.json" --webport 0
    wait_listen "$host" "$port" "$WSTEST_PID" "wstest -m fuzzingserver" "$out/wstest.log" 90
    local wstest=$WSTEST_PID
    say "wstest listens; running fuzzclient"

    local t0 status=0
    t0=$(now)
    local tls_args=()
    ((TLS)) && tls_args=(--ca "$TLS_CERT")
    "$TARGET/fuzzclient" --url "$SCHEME://$CLIENT_ADDR" --agent "$AGENT" "${tls_args[@]}" \
        >"$out/fuzzclient.log" 2>&1 &
    local client=$!
    PIDS+=("$client")
    watch_progress "$out/wstest.log" "$client" client
    if ! alive "$wstest"; then
        # wstest serves until it is stopped: its end is a failure.
        local wstatus=0
        wait "$wstest" || wstatus=$?
        final_peak
        show_log "$out/wstest.log"
        die "wstest -m fuzzingserver died ($(describe_status "$wstatus")) $(progress_point)"
    fi
    wait "$client" || status=$?
    local elapsed
    elapsed=$(since "$t0")
    if ((status != 0)); then
        show_log "$out/fuzzclient.log"
        die "fuzzclient failed ($(describe_status "$status")) $(progress_point)"
    fi
    # fuzzclient's last call (/updateReports) has wstest write its reports.
    local _
    for _ in $(seq 100); do
        [[ -s $out/index.json ]] && grep -q 'Report generation complete' "$out/wstest.log" && break
        alive "$wstest" || break
        sample_memory client
        sleep 0.1
    done
    stop_wstest
    final_peak
    compare client "$out" "$elapsed"
}

# Runs one role; called in a subshell, so that a failure (die) ends the
# role and not the script: the other role still runs and the summary still
# prints. The subshell stops its own processes when it ends (it does not
# see the parent's PIDS), and on TERM from the parent's cleanup.
# shellcheck disable=SC2030,SC2031,SC2317 # the subshell keeps its own PIDS
role_body() { # role
    PIDS=()
    role_cleanup() {
        local status=$? pid
        trap - EXIT INT TERM
        for pid in "${PIDS[@]}"; do
            stop_pid "$pid"
        done
        [[ -n $WSTEST_CONTAINER ]] && docker rm -f "$WSTEST_CONTAINER" >/dev/null 2>&1
        exit "$status"
    }
    trap role_cleanup EXIT
    trap 'exit 143' TERM INT
    "run_$1"
}

# run_role's subshell in the background (the subshell is $!), its lines
# prefixed with the role.
run_role_in_background() { # role
    (role_body "$1") > >(sed -u "s/^/[$1] /") 2>&1 &
}

# ---------------------------------------------------------------------------

main() {
    local t0
    t0=$(now)
    command -v cargo >/dev/null || die "cargo is not on PATH"
    say "building the testees (cargo build --release -p testee)"
    (cd "$ROOT" && cargo build --release -p testee) ||
        die "cargo build --release -p testee failed"
    local bin
    for bin in fuzzserver fuzzclient autobahn-report; do
        [[ -x $TARGET/$bin ]] || die "the build made no $TARGET/$bin"
    done
    if [[ -n $TESTEE ]]; then
        say "building the testee (cargo build --release --example $TESTEE -p rfc6455)"
        (cd "$ROOT" && cargo build --release --example "$TESTEE" -p rfc6455) ||
            die "cargo build --release --example $TESTEE -p rfc6455 failed"
        [[ -x $TARGET/examples/$TESTEE ]] || die "the build made no $TARGET/examples/$TESTEE"
    fi
    choose_runner
    ((TLS)) && make_cert

    local role failed=()
    if [[ $PARALLEL == 1 && $ROLES == "server client" ]]; then
        say "running both roles at once (AUTOBAHN_PARALLEL=0 runs them one after the other)"
        local -A job=()
        for role in $ROLES; do
            run_role_in_background "$role"
            job[$role]=$!
            # shellcheck disable=SC2031 # the parent's PIDS, stopped by cleanup
            PIDS+=("${job[$role]}")
        done
        for role in $ROLES; do
            wait "${job[$role]}" || failed+=("$role")
        done
    else
        for role in $ROLES; do
            (role_body "$role") || failed+=("$role")
        done
    fi

    printf '\n'
    ((TLS)) && printf '== over TLS (wss://), cases %s ==\n\n' "$CASES"
    [[ -n $TESTEE ]] && printf '== testee %s, cases %s ==\n\n' "$TESTEE" "$CASES"
    for role in $ROLES; do
        local dir=$REPORTS/$role
        if [[ -s $dir/summary.txt ]]; then
            cat "$dir/summary.txt"
        else
            printf '== Autobahn %s: no summary, the run did not finish ==\n' "$role"
        fi
        if [[ -s $dir/failure.txt ]]; then
            sed 's/^/FAILED: /' "$dir/failure.txt"
        elif [[ ! -s $dir/summary.txt ]]; then
            printf 'FAILED: the %s role stopped early; its messages are above\n' "$role"
        fi
        [[ -s $dir/index.html ]] && printf '    reports: %s\n' "${dir#"$ROOT/"}/index.html"
        printf '    logs:    %s\n\n' "${dir#"$ROOT/"}/"
    done
    local over=
    ((TLS)) && over=' over TLS'
    [[ -n $TESTEE ]] && over=" against $TESTEE"
    if ((${#failed[@]})); then
        printf 'FAILED (%s%s) in %s s\n' "${failed[*]}" "$over" "$(since "$t0")"
        return 1
    fi
    printf 'OK (%s%s) in %s s\n' "$ROLES" "$over" "$(since "$t0")"
}

main
