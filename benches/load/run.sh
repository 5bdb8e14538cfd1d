#!/usr/bin/env bash
# Whole-process load benchmark: consentry against nginx as a reverse proxy (issue 7).
#
# Usage: benches/load/run.sh [--smoke] [--out FILE] [options]   (--help lists them)
#
# What it does
#   1. installs nginx and wrk from the system's packages when missing (Debian, root);
#   2. builds consentry (cargo build --release --locked) from this repository;
#   3. writes, in a fresh temporary directory, a consentry configuration (enforce mode, 1,000
#      declarations, consent from a JSON cookie, the tamper-evident audit log on, the admin
#      listener on), an upstream nginx serving a 1.5 KB page with 4 Set-Cookie lines, and a
#      reverse-proxy nginx configured as an operator would; checks with curl that consentry
#      returns exactly 3 of the 4 Set-Cookie lines, one of them capped;
#   4. runs wrk against three targets, interleaved (direct, nginx, consentry, direct, consentry,
#      nginx, ...: the proxies take turns at going first), for R rounds and each concurrency,
#      then the cross-check (both proxies loaded at once on one core), then prints the medians,
#      the ratios, the audit accounting (zero records lost) and PASS/FAIL against the targets
#      of issue 7.
#
# Core layout (2 cores; cores 0 and 1 on larger machines, the others stay idle):
#
#     core 0 (load side)  : wrk (-t1) and the upstream nginx
#     core 1 (proxy side) : the proxy under test: nginx (1 worker) or consentry (`workers = 1`:
#                           one thread serves, its audit writer thread included); the other
#                           proxy waits there idle (the cross-check loads both at once)
#     target "direct"     : wrk -> upstream nginx, the upstream moved to core 1 alone (taskset -p),
#                           i.e. the upstream measured as if it were the proxy: the ceiling.
#
#   The load side shares one core, so a proxy that is much faster than the load side cannot show
#   it in req/s: look at "core1 %" (is the proxy's core saturated?) and at "CPU us/req" (the proxy
#   process's own CPU time per request, a measure that does not depend on who is the bottleneck).
#
# Fairness
#   * Same worker count: nginx `worker_processes 1`, consentry `[proxy] workers = 1` (one
#     thread serves every connection, as an nginx worker does). Both pinned to the same core
#     with taskset, all threads included.
#   * Access logs: by default neither logs requests. nginx: `access_log off`; consentry:
#     RUST_LOG=warn,consentry::violation=off (no per-request `consentry::access` event, no
#     per-violation stderr event; warnings and errors still logged by both). consentry's audit
#     log stays ON: issue 7 requires every violation to be written, and it is what is checked.
#     --access-log turns both on: nginx buffered (buffer=64k flush=1s, what an operator uses under
#     load) and consentry's events (info, json) to a file, unbuffered as consentry writes them.
#   * Every benchmark process runs in its own session at nice -10 (as root; see NICE below), so
#     that a job running beside it disturbs it less, and both proxies alike ("other" in the
#     output shows what remains).
#   * For each concurrency both proxies are started afresh, side by side on the proxy core (the
#     one not under load is idle), and each target gets a 2 s warm-up; then every round measures
#     the three targets back to back, short runs (3 s) so that the machine's drift, which moves
#     this virtual machine's speed by 10 to 30% within seconds, falls alike on the two proxies.
#     The two proxies take turns at going first. Peak RSS is each process's high-water mark
#     over every round of that concurrency; the audit log is checked per consentry process.
#   * nginx and consentry both: HTTP/1.1 keep-alive to the upstream, X-Forwarded-For, X-Real-IP,
#     X-Forwarded-Proto and a request id sent upstream; listen backlog 1024 (tokio's).
#
# The upstream is nginx too (`return 200` with 4 `add_header Set-Cookie ... always`): the cheapest
# server available from the packages (about 15-20 us of CPU per request on the test machine, see
# the "direct" line), so it takes as little of the load core as possible; a small server in Python
# or similar would cost several times more and become the bottleneck. It logs every request to a
# buffered access log (`$connection $status`), for all targets alike: that is how the script knows
# how many requests reached the upstream through consentry (the upper bound of the audit
# accounting).
#
# Output: progress lines, then one table of medians, ratios and checks; the same text goes to
# --out FILE. Exit status: 0 when the measurement ran (whatever PASS/FAIL says), non-zero when
# something broke (a server did not start, a check of the setup failed, no request completed).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
COMMAND_LINE=$(printf '%q ' "$0" "$@")
COMMAND_LINE=${COMMAND_LINE% }

# ------------------------------------------------------------------------------------------
# Options

ROUNDS=45            # interleaved rounds at -c64 (every concurrency under 1,000)
C1000_ROUNDS=15      # at -c1000: its margins are many times the rounds' spread
DURATION=3           # seconds per measured run
WARMUP=2             # seconds of warm-up of each target per concurrency (not measured)
CONNECTIONS="64 1000"
C1000_DURATION=""    # smoke mode: a shorter run at the high concurrency
SHARED_ROUNDS=3      # the cross-check with both proxies on the proxy core at once (0: none)
SHARED_DURATION=5
THREADS=1            # wrk threads: the load side has one core
OUT=""
SMOKE=0
ACCESS_LOG=0
AUDIT_AGGREGATE=""   # empty: consentry's default (10s)
NGINX_KEEPALIVE=64
BUILD=1
KEEP=0
INSTRUCTIONS=0       # --instructions N: count consentry's instructions per request instead

usage() {
    cat <<EOF
Usage: $0 [options]

  --smoke               1 round, 2 s at -c64 and 1 s at -c1000 (CI: proves the script runs)
  --rounds N            interleaved rounds at every concurrency (default $ROUNDS at -c64,
                        $C1000_ROUNDS at -c1000)
  --c1000-rounds N      interleaved rounds at -c1000 only (after --rounds)
  --duration S          seconds per measured run (default $DURATION)
  --warmup S            warm-up seconds of each target per concurrency, 0 for none (default $WARMUP)
  --connections "A B"   wrk concurrencies (default "$CONNECTIONS")
  --threads N           wrk threads (default $THREADS: the load side has one core)
  --shared-rounds N     rounds of the cross-check with both proxies on the proxy core at once,
                        ${SHARED_DURATION}s each, 0 for none (default $SHARED_ROUNDS)
  --out FILE            also write the output to FILE
  --access-log          both proxies log every request (nginx buffered, consentry to a file)
  --audit-aggregate D   consentry [audit] aggregate (default: consentry's, 10s; "0s" writes one
                        line per violation, the worst case for the audit writer)
  --nginx-keepalive N   nginx upstream keepalive connections (default $NGINX_KEEPALIVE)
  --no-build            use the already built target/release/consentry
  --keep                keep the temporary directory (configurations, logs, audit files)
  --instructions N      instead of the runs: consentry's user-space instructions per request,
                        counted with callgrind over N keep-alive requests (8 connections, after
                        300 of warm-up), the same configuration, request and upstream; it
                        repeats to about half a per cent, unlike the wall clock on a shared machine
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --smoke) SMOKE=1; ROUNDS=1; C1000_ROUNDS=1; DURATION=2; C1000_DURATION=1; SHARED_ROUNDS=1; SHARED_DURATION=2; shift ;;
        --shared-rounds) SHARED_ROUNDS=$2; shift 2 ;;
        --rounds) ROUNDS=$2; C1000_ROUNDS=$2; shift 2 ;;
        --c1000-rounds) C1000_ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --access-log) ACCESS_LOG=1; shift ;;
        --audit-aggregate) AUDIT_AGGREGATE=$2; shift 2 ;;
        --nginx-keepalive) NGINX_KEEPALIVE=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --keep) KEEP=1; shift ;;
        --instructions) INSTRUCTIONS=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

for n in "$ROUNDS" "$C1000_ROUNDS" "$DURATION" "$WARMUP" "$THREADS" "$NGINX_KEEPALIVE" "$INSTRUCTIONS" "$SHARED_ROUNDS"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
done
[[ $ROUNDS -ge 1 && $C1000_ROUNDS -ge 1 && $DURATION -ge 1 && $THREADS -ge 1 ]] || { echo "rounds, duration and threads must be >= 1" >&2; exit 2; }
for c in $CONNECTIONS; do
    [[ $c =~ ^[0-9]+$ && $c -ge $THREADS ]] || { echo "bad concurrency: $c" >&2; exit 2; }
done
rounds_at() {   # conc -> the number of interleaved rounds at that concurrency
    if [[ $1 -ge 1000 ]]; then echo "$C1000_ROUNDS"; else echo "$ROUNDS"; fi
}
rounds_text() {   # "-c64: 45, -c1000: 15"
    local c text=""
    for c in $CONNECTIONS; do text+="${text:+, }-c$c: $(rounds_at "$c")"; done
    echo "$text"
}

if [[ -n $OUT ]]; then
    mkdir -p "$(dirname "$OUT")"
    : >"$OUT"
fi

# Everything the reader should see goes through say: stdout, and --out FILE.
say() {
    printf '%s\n' "$*"
    if [[ -n $OUT ]]; then printf '%s\n' "$*" >>"$OUT"; fi
}
die() {
    say "ERROR: $*"
    exit 1
}

# ------------------------------------------------------------------------------------------
# Processes: every one started is recorded and ended on exit, whatever the exit.

PIDS=()          # processes started by this script (nginx masters, consentry, wrk)
WORKER_PIDS=()   # nginx workers (ended too, should a master die without them)
WORK=""

is_running() {
    local pid=$1 stat
    [[ -r /proc/$pid/stat ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

cleanup() {
    local status=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}" "${WORKER_PIDS[@]}"; do
        if is_running "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for _ in $(seq 50); do
        local alive=0
        for pid in "${PIDS[@]}" "${WORKER_PIDS[@]}"; do
            if is_running "$pid"; then alive=1; fi
        done
        [[ $alive -eq 0 ]] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}" "${WORKER_PIDS[@]}"; do
        if is_running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ $KEEP -eq 1 || $status -ne 0 ]]; then
            echo "temporary directory kept: $WORK" >&2
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() {
    local gone=$1 pid kept=()
    for pid in "${PIDS[@]}"; do [[ $pid == "$gone" ]] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
}
forget_worker() {   # once it has exited, so that its pid, reused, is never signalled
    local gone=$1 pid kept=()
    for _ in $(seq 50); do is_running "$gone" || break; sleep 0.1; done
    is_running "$gone" && return 0
    for pid in "${WORKER_PIDS[@]}"; do [[ $pid == "$gone" ]] || kept+=("$pid"); done
    WORKER_PIDS=("${kept[@]}")
}

# Sends SIGTERM and waits (at most $2 s) for the process to exit; sets STOP_RC to its exit
# status. Not to be called in $(...): only this shell can wait for its children.
STOP_RC=0
stop_process() {
    local pid=$1 timeout=${2:-30} rc
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((timeout * 10))); do
        is_running "$pid" || break
        sleep 0.1
    done
    if is_running "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    set +e
    wait "$pid" 2>/dev/null
    rc=$?
    set -e
    forget_pid "$pid"
    STOP_RC=$rc
}

children_of() {
    local parent=$1 f stat rest
    if [[ -r /proc/$parent/task/$parent/children ]]; then
        cat "/proc/$parent/task/$parent/children"
        return
    fi
    for f in /proc/[0-9]*/stat; do
        stat=$(cat "$f" 2>/dev/null) || continue
        rest=${stat##*) }
        read -r _ ppid _ <<<"$rest"
        [[ $ppid == "$parent" ]] && { f=${f#/proc/}; printf '%s ' "${f%/stat}"; }
    done
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    # Without python3: a random port that nothing listens on (/proc/net/tcp, state 0A).
    local port hex
    while :; do
        port=$((20000 + RANDOM % 20000))
        hex=$(printf '%04X' "$port")
        if ! awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (no request is sent, so no
# audit record is made), or $2 s pass.
wait_port() {
    local port=$1 timeout=${2:-15} pid=${3:-}
    for _ in $(seq $((timeout * 20))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        if [[ -n $pid ]] && ! is_running "$pid"; then return 1; fi
        sleep 0.05
    done
    return 1
}

# ------------------------------------------------------------------------------------------
# 1. Tools

install_packages() {
    local missing=("$@")
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
    fi
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1; then
        apt-get update >>"$WORK/apt.log" 2>&1 || true
        apt-get install -y --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1 \
            || { tail -20 "$WORK/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
    fi
}

WORK=$(mktemp -d /tmp/consentry-load.XXXXXX)
chmod 755 "$WORK"   # nginx workers run as nobody

missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v taskset >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [[ $INSTRUCTIONS -gt 0 ]]; then
    command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
fi
install_packages "${missing[@]}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WRK=$(command -v wrk)

# ------------------------------------------------------------------------------------------
# 2. Build

if [[ -z ${CARGO:-} ]]; then
    CARGO=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
fi
BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/consentry"
if [[ $BUILD -eq 1 ]]; then
    say "building consentry: cargo build --release --locked (in $REPO_ROOT)"
    (cd "$REPO_ROOT" && "$CARGO" build --release --locked) >&2 || die "cargo build failed"
fi
[[ -x $BIN ]] || die "no consentry binary at $BIN (run without --no-build)"

# ------------------------------------------------------------------------------------------
# Machine, pinning, limits

NPROC=$(nproc)
if [[ $NPROC -ge 2 ]]; then
    LOAD_CPU=0
    PROXY_CPU=1
else
    LOAD_CPU=0
    PROXY_CPU=0
fi
CLK_TCK=$(getconf CLK_TCK)
# Every process of the benchmark runs in its own session at nice -10 when it can (root): a
# compiler or a test suite running beside it then gets about a tenth of a core instead of half
# of one. With sched_autogroup (Debian's default) nice only counts within a session and each
# session is weighed as one, so each process gets its own session (setsid) and that session's
# autogroup is set to -10 too. Without this, another session's load took 70% of the proxy's core
# while nginx ran and 10% while consentry ran (the scheduler weighs the sessions by where their
# threads run), which turned the comparison upside down.
NICE=()
if [[ $(id -u) -eq 0 ]]; then NICE=(nice -n -10); fi
boost() {   # pid: raise the priority of the process's session (autogroup)
    if [[ ${#NICE[@]} -gt 0 && -e /proc/$1/autogroup ]]; then
        echo -10 >"/proc/$1/autogroup" 2>/dev/null || true
    fi
}

max_conn=0
for c in $CONNECTIONS; do [[ $c -gt $max_conn ]] && max_conn=$c; done
want_nofile=65536
if [[ $(ulimit -Hn) != unlimited && $(ulimit -Hn) -lt $want_nofile ]]; then
    ulimit -Hn "$want_nofile" 2>/dev/null || true
fi
ulimit -n "$want_nofile" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [[ $NOFILE != unlimited && $NOFILE -lt $((max_conn * 2 + 256)) ]]; then
    die "ulimit -n is $NOFILE, too low for $max_conn connections (raise the hard limit or run as root)"
fi
# nginx's worker_rlimit_nofile cannot exceed the hard limit either (it would log an alert).
NGINX_NOFILE=65536
if [[ $NOFILE != unlimited && $NOFILE -lt $NGINX_NOFILE ]]; then NGINX_NOFILE=$NOFILE; fi

# ------------------------------------------------------------------------------------------
# 3. Configurations

UP_PORT=$(free_port)
NGX_PORT=$(free_port)
CSY_PORT=$(free_port)
ADMIN_PORT=$(free_port)
while [[ $NGX_PORT == "$UP_PORT" ]]; do NGX_PORT=$(free_port); done
while [[ $CSY_PORT == "$UP_PORT" || $CSY_PORT == "$NGX_PORT" ]]; do CSY_PORT=$(free_port); done
while [[ $ADMIN_PORT == "$UP_PORT" || $ADMIN_PORT == "$NGX_PORT" || $ADMIN_PORT == "$CSY_PORT" ]]; do
    ADMIN_PORT=$(free_port)
done

# The visitor: consent from a JSON cookie (Opendatasoft's cookies_preferences), statistics
# granted, marketing refused (state "partial"), plus two necessary cookies. Every cookie sent is
# declared and allowed, so the request side makes no violation: all records come from the
# response's Set-Cookie lines.
CONSENT_JSON='{"statistics":true,"marketing":false}'
CONSENT_VALUE='%7B%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%7D'
COOKIE_HEADER="Cookie: cookies_preferences=$CONSENT_VALUE; sessionid=8f14e45fceea167a5a36dedd4bea2543; csrftoken=Zx9TqLmN4pR7sV2wY5bC8dF1gH3jK6"

# The upstream's 4 Set-Cookie lines.
SC_NECESSARY='sessionid=c4ca4238a0b923820dcc509a6f75849b; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax'
SC_STATISTICS='_pk_id.1.a1b2=3f2a1b4c5d6e7f80.1700000000.; Max-Age=33696000; Path=/; SameSite=Lax'
SC_UNDECLARED='_fbp=fb.1.1700000000000.1234567890; Max-Age=7776000; Path=/; SameSite=Lax'
SC_TOO_LONG='_ga=GA1.1.42.1700000000; Max-Age=63072000; Path=/; SameSite=Lax'
TOO_LONG_MAX_AGE=63072000

write_consentry_config() {
    local file=$1 port=$2 admin_port=$3 audit_dir=$4 instance=$5 aggregate=$6
    {
        cat <<EOF
# Generated by benches/load/run.sh: consentry in front of the benchmark's upstream nginx.
[proxy]
listen = "127.0.0.1:$port"
upstream = "http://127.0.0.1:$UP_PORT"
grace_period = "5s"
workers = 1

[[category]]
id = "necessary"
needs_consent = false

[[category]]
id = "statistics"
needs_consent = true

[[category]]
id = "marketing"
needs_consent = true

# The cookies of the benchmark's page and request.
[[cookie]]
name = "sessionid"
category = "necessary"
max_lifetime = "2w"
http_only = true
same_site = "lax"

[[cookie]]
name = "csrftoken"
category = "necessary"
max_lifetime = "12mo"

[[cookie]]
name = "django_language"
category = "necessary"
max_lifetime = "12mo"

[[cookie]]
name = "cookies_preferences"
category = "necessary"
max_lifetime = "6mo"

[[cookie]]
name = "_ga"
category = "statistics"
max_lifetime = "13mo"

[[cookie]]
glob = "_pk_id.*"
category = "statistics"
max_lifetime = "13mo"

[[cookie]]
glob = "_pk_ses.*"
category = "statistics"
max_lifetime = "30m"

EOF
        # 993 more: 696 exact names, 150 prefixes, 137 globs, 10 regexes, over the three
        # categories in turn; 1,000 declarations in all. The families (ck_, pfx_, gl_, rx_) never
        # overlap, so no two declarations of different categories can match one name.
        local cats=(necessary statistics marketing) i cat
        for i in $(seq 1 696); do
            cat=${cats[$((i % 3))]}
            printf '[[cookie]]\nname = "ck_%s_%04d"\ncategory = "%s"\nmax_lifetime = "%s"\n\n' \
                "${cat:0:4}" "$i" "$cat" "$((i % 12 + 1))mo"
        done
        for i in $(seq 1 150); do
            cat=${cats[$((i % 3))]}
            printf '[[cookie]]\nprefix = "pfx_%s_%03d_"\ncategory = "%s"\nmax_lifetime = "%s"\n\n' \
                "${cat:0:4}" "$i" "$cat" "$((i % 30 + 1))d"
        done
        for i in $(seq 1 137); do
            cat=${cats[$((i % 3))]}
            printf '[[cookie]]\nglob = "gl_%s_%03d_*_id"\ncategory = "%s"\nmax_lifetime = "%s"\n\n' \
                "${cat:0:4}" "$i" "$cat" "$((i % 6 + 1))mo"
        done
        for i in $(seq 1 10); do
            cat=${cats[$((i % 3))]}
            printf '[[cookie]]\nregex = "rx_%s_%02d_[0-9a-f]{8}(_[0-9]+)?"\ncategory = "%s"\nmax_lifetime = "1y"\n\n' \
                "${cat:0:4}" "$i" "$cat"
        done
        cat <<EOF
[[consent.source]]
format = "json"
cookie = "cookies_preferences"      # $CONSENT_JSON
keys = { statistics = "statistics", marketing = "marketing" }

[policy]
mode = "enforce"

[audit]
path = "$audit_dir/audit.jsonl"
instance = "$instance"
EOF
        if [[ -n $aggregate ]]; then printf 'aggregate = "%s"\n' "$aggregate"; fi
        cat <<EOF

[admin]
listen = "127.0.0.1:$admin_port"
EOF
    } >"$file"
}

write_upstream_nginx() {
    local dir=$1 page
    mkdir -p "$dir/tmp"
    # ~1.5 KB of HTML; no single quote and no '$' (it goes into an nginx string).
    page='<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Portail open data - Grand Paris Sud</title>'
    page+='<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/app.css"></head>\n<body>'
    page+='<header><nav><a href="/">Accueil</a> <a href="/explore/">Catalogue</a> <a href="/pages/apropos/">A propos</a></nav></header>\n<main>'
    local i
    for i in 1 2 3 4 5 6 7 8; do
        page+="<section><h2>Jeu de donnees $i</h2><p>Donnees ouvertes publiees par la collectivite, mises a jour chaque semaine, consultables en tableau, carte ou API.</p></section>\n"
    done
    page+='</main><footer>Charte cookies - Mentions legales</footer></body></html>\n'
    cat >"$dir/nginx.conf" <<EOF
# Generated by benches/load/run.sh: the upstream (the "portal").
worker_processes 1;
worker_rlimit_nofile $NGINX_NOFILE;
pid $dir/nginx.pid;
lock_file $dir/nginx.lock;
error_log $dir/error.log warn;

events {
    worker_connections 8192;
}

http {
    server_tokens off;
    # Every request is counted (requests and connections per run), buffered: a write per 256 KB.
    log_format count '\$connection \$status';
    access_log $dir/access.log count buffer=256k flush=1s;
    # The proxies keep their upstream connections open: never close them from this side.
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    server {
        listen 127.0.0.1:$UP_PORT backlog=1024;

        location = / {
            default_type text/html;
            add_header Set-Cookie "$SC_NECESSARY" always;
            add_header Set-Cookie "$SC_STATISTICS" always;
            add_header Set-Cookie "$SC_UNDECLARED" always;
            add_header Set-Cookie "$SC_TOO_LONG" always;
            return 200 '$page';
        }
    }
}
EOF
}

write_proxy_nginx() {
    local dir=$1 access_log
    mkdir -p "$dir/tmp"
    if [[ $ACCESS_LOG -eq 1 ]]; then
        access_log="access_log $dir/access.log combined buffer=64k flush=1s;"
    else
        access_log="access_log off;   # consentry logs no request either (RUST_LOG=warn,...)"
    fi
    cat >"$dir/nginx.conf" <<EOF
# Generated by benches/load/run.sh: nginx as the reverse proxy, the reference.
worker_processes 1;
worker_rlimit_nofile $NGINX_NOFILE;
pid $dir/nginx.pid;
lock_file $dir/nginx.lock;
error_log $dir/error.log warn;

events {
    worker_connections 4096;
}

http {
    server_tokens off;
    $access_log
    # consentry does not limit requests per client connection: neither does this nginx
    # (its default, 1000, would make wrk reconnect every 1000 requests).
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    upstream backend {
        server 127.0.0.1:$UP_PORT;
        keepalive $NGINX_KEEPALIVE;
        keepalive_requests 10000000;
        keepalive_timeout 90s;
    }

    server {
        listen 127.0.0.1:$NGX_PORT backlog=1024;

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # consentry sends a request id upstream and returns it: same work here.
            proxy_set_header X-Request-Id \$request_id;
            add_header X-Request-Id \$request_id always;
        }
    }
}
EOF
}

mkdir -p "$WORK/upstream" "$WORK/nginx" "$WORK/consentry/audit" "$WORK/verify/audit" "$WORK/wrk"
write_upstream_nginx "$WORK/upstream"
write_proxy_nginx "$WORK/nginx"
write_consentry_config "$WORK/consentry/consentry.toml" "$CSY_PORT" "$ADMIN_PORT" \
    "$WORK/consentry/audit" bench "$AUDIT_AGGREGATE"
# The setup check runs its own instance with its own audit log, one line per violation.
write_consentry_config "$WORK/verify/consentry.toml" "$CSY_PORT" "$ADMIN_PORT" \
    "$WORK/verify/audit" bench-verify 0s
DECLARATIONS=$(grep -c '^\[\[cookie\]\]' "$WORK/consentry/consentry.toml")

"$NGINX" -t -p "$WORK/upstream/" -e "$WORK/upstream/error.log" -c "$WORK/upstream/nginx.conf" >"$WORK/upstream/test.log" 2>&1 \
    || { cat "$WORK/upstream/test.log" >&2; die "upstream nginx configuration refused"; }
"$NGINX" -t -p "$WORK/nginx/" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/test.log" 2>&1 \
    || { cat "$WORK/nginx/test.log" >&2; die "proxy nginx configuration refused"; }
"$BIN" check --config "$WORK/consentry/consentry.toml" >"$WORK/consentry/check.log" 2>&1 \
    || { cat "$WORK/consentry/check.log" >&2; die "consentry check refused the generated configuration"; }

# ------------------------------------------------------------------------------------------
# Servers

UP_PID=""
UP_WORKER=""

start_nginx() {   # dir cpu port -> sets STARTED_PID, STARTED_WORKER
    local dir=$1 cpu=$2 port=$3 pid worker=""
    setsid "${NICE[@]}" taskset -c "$cpu" "$NGINX" -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' \
        >>"$dir/stdout.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    boost "$pid"
    wait_port "$port" 15 "$pid" || { tail -5 "$dir/error.log" >&2 || true; die "nginx ($dir) did not start"; }
    for _ in $(seq 100); do
        worker=$(children_of "$pid")
        worker=${worker%% *}
        [[ -n $worker ]] && break
        sleep 0.05
    done
    [[ -n $worker ]] || die "nginx ($dir) has no worker process"
    WORKER_PIDS+=("$worker")
    STARTED_PID=$pid
    STARTED_WORKER=$worker
}

start_consentry() {   # config log -> sets STARTED_PID
    local config=$1 log=$2 pid rust_log format
    if [[ $ACCESS_LOG -eq 1 ]]; then
        rust_log=info
        format=json
    else
        rust_log=warn,consentry::violation=off
        format=pretty
    fi
    RUST_LOG=$rust_log \
        setsid "${NICE[@]}" taskset -c "$PROXY_CPU" "$BIN" --log-format "$format" serve --config "$config" >>"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    boost "$pid"
    wait_port "$CSY_PORT" 15 "$pid" || { tail -5 "$log" >&2 || true; die "consentry did not start (see $log)"; }
    wait_port "$ADMIN_PORT" 5 "$pid" || die "consentry's admin listener did not start"
    STARTED_PID=$pid
}

pin() {   # cpu pid...
    local cpu=$1 pid
    shift
    for pid in "$@"; do taskset -a -p -c "$cpu" "$pid" >/dev/null; done
}

start_nginx "$WORK/upstream" "$LOAD_CPU" "$UP_PORT"
UP_PID=$STARTED_PID
UP_WORKER=$STARTED_WORKER

# Flushes the upstream's buffered access log (nginx flushes buffers when it reopens its logs)
# and prints its line count.
upstream_log_lines() {
    local before after
    kill -USR1 "$UP_PID"
    sleep 0.3
    after=$(wc -l <"$WORK/upstream/access.log")
    before=-1
    while [[ $after != "$before" ]]; do
        before=$after
        sleep 0.2
        after=$(wc -l <"$WORK/upstream/access.log")
    done
    echo "$after"
}

# ------------------------------------------------------------------------------------------
# Header

git_rev="unknown (not a git checkout)"
if command -v git >/dev/null 2>&1 && git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git_rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD)
    if [[ -n $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
        git_rev+=" (with uncommitted changes)"
    fi
fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
nginx_version=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
wrk_version=$("$WRK" -v 2>&1 | head -1 | awk '{ print $1, $2 }' || true)
consentry_version=$("$BIN" --version)
rustc_version=$(rustc --version 2>/dev/null || echo unknown)

say ""
say "== consentry load benchmark (issue 7) =="
say "command:   $COMMAND_LINE"
say "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine:   $NPROC cores ($cpu_model), $mem_total, kernel $(uname -r)"
say "versions:  $consentry_version (git $git_rev, $rustc_version), $nginx_version, $wrk_version"
say "layout:    core $LOAD_CPU: wrk -t$THREADS + upstream nginx; core $PROXY_CPU: the proxy under test, the other one idle (direct: the upstream alone)"
if [[ $NPROC -lt 2 ]]; then say "WARNING:   one core only: everything shares core 0, the figures mean little"; fi
say "workers:   nginx worker_processes 1; consentry [proxy] workers = 1"
if [[ ${#NICE[@]} -gt 0 ]]; then
    say "priority:  every benchmark process in its own session at nice -10, autogroup -10 too (sched_autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo ?))"
else
    say "priority:  not root: normal priority (anything else running on the machine disturbs the figures more)"
fi
if [[ $ACCESS_LOG -eq 1 ]]; then
    say "logging:   both log every request: nginx access_log buffered (64k, flush 1s); consentry RUST_LOG=info --log-format json to a file"
else
    say "logging:   neither logs requests: nginx access_log off; consentry RUST_LOG=warn,consentry::violation=off"
fi
say "audit:     consentry's audit log on (aggregate ${AUDIT_AGGREGATE:-10s (default)}, fsync 1s), checked for every consentry process"
say "registry:  $DECLARATIONS declarations; consent cookie cookies_preferences=$CONSENT_JSON (state partial)"
say "upstream:  nginx 'return 200', $(curl -sS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$UP_PORT/") bytes of HTML, 4 Set-Cookie lines; nginx proxy: upstream keepalive $NGINX_KEEPALIVE"
say "wrk:       -t$THREADS -c{${CONNECTIONS// /,}} -d${DURATION}s${C1000_DURATION:+ (-c1000: ${C1000_DURATION}s)} --latency --timeout 30s, warm-up ${WARMUP}s per target and concurrency; rounds $(rounds_text), interleaved, proxies kept up across rounds"
nofile_note=""
if [[ $NOFILE != unlimited && $NOFILE -lt $want_nofile ]]; then
    nofile_note=" (the hard limit: $want_nofile could not be set; enough for -c$max_conn)"
fi
say "limits:    ulimit -n $NOFILE$nofile_note, net.core.somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo ?)"
if [[ $SMOKE -eq 1 ]]; then
    say "mode:      --smoke: proves that the pipeline runs; runs this short say little about speed"
fi
say "load:      load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs (other processes disturb the figures: see 'other')"
say ""

# ------------------------------------------------------------------------------------------
# Setup check: the 4 lines direct and through nginx, 3 (one capped) through consentry.

set_cookie_lines() {   # url
    curl -sS -D - -o /dev/null -H "$COOKIE_HEADER" "$1" | tr -d '\r' | grep -i '^set-cookie:' || true
}

say "== setup check (curl) =="
direct_lines=$(set_cookie_lines "http://127.0.0.1:$UP_PORT/" | wc -l)
[[ $direct_lines -eq 4 ]] || die "the upstream returns $direct_lines Set-Cookie lines, expected 4"
start_nginx "$WORK/nginx" "$PROXY_CPU" "$NGX_PORT"
nginx_lines=$(set_cookie_lines "http://127.0.0.1:$NGX_PORT/" | wc -l)
stop_process "$STARTED_PID" 10
forget_worker "$STARTED_WORKER"
[[ $STOP_RC -eq 0 ]] || die "the proxy nginx did not stop cleanly (exit $STOP_RC)"
[[ $nginx_lines -eq 4 ]] || die "nginx returns $nginx_lines Set-Cookie lines, expected 4"

start_consentry "$WORK/verify/consentry.toml" "$WORK/verify/consentry.log"
verify_pid=$STARTED_PID
csy_lines=$(set_cookie_lines "http://127.0.0.1:$CSY_PORT/")
for _ in 1 2; do set_cookie_lines "http://127.0.0.1:$CSY_PORT/" >/dev/null; done
stop_process "$verify_pid" 15
[[ $STOP_RC -eq 0 ]] || die "consentry did not stop cleanly (exit $STOP_RC, see $WORK/verify/consentry.log)"
say "  direct: 4 Set-Cookie lines; nginx: 4; consentry: $(grep -c . <<<"$csy_lines"):"
while IFS= read -r line; do say "    $line"; done <<<"$csy_lines"
[[ $(grep -c . <<<"$csy_lines") -eq 3 ]] || die "consentry returned $(grep -c . <<<"$csy_lines") Set-Cookie lines, expected 3"
grep -q '^set-cookie: sessionid=' <<<"${csy_lines,,}" || die "consentry dropped the necessary cookie"
grep -q '^set-cookie: _pk_id\.1\.a1b2=' <<<"${csy_lines,,}" || die "consentry dropped the consented statistics cookie (consent not read?)"
grep -q '^set-cookie: _fbp=' <<<"${csy_lines,,}" && die "consentry forwarded the undeclared cookie"
capped=$(grep -i '^set-cookie: _ga=' <<<"$csy_lines" | grep -o -i 'max-age=[0-9]*' | cut -d= -f2 || true)
[[ -n $capped && $capped -lt $TOO_LONG_MAX_AGE ]] || die "the _ga line was not capped (Max-Age ${capped:-missing})"
# Violations per response, from the verification instance's audit log (3 requests, one line
# each): expected 2, undeclared (_fbp) and lifetime-exceeded (_ga).
verify_kinds=$(grep '"type":"violation"' "$WORK/verify/audit/audit.jsonl" | grep -o '"kind":"[a-z-]*"' | cut -d'"' -f4 \
    | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }' || true)
verify_total=$(awk -F'"count":' '/"type":"violation"/ { split($2, a, /[,}]/); n += a[1] } END { print n + 0 }' "$WORK/verify/audit/audit.jsonl")
[[ $((verify_total % 3)) -eq 0 && $verify_total -gt 0 ]] || die "the 3 verification requests made $verify_total violations"
VIOLATIONS_PER_RESPONSE=$((verify_total / 3))
say "  _ga capped from Max-Age=$TOO_LONG_MAX_AGE to $capped; _fbp (undeclared) dropped"
say "  audit records for 3 requests: $verify_total ($verify_kinds): $VIOLATIONS_PER_RESPONSE per response"
[[ $VIOLATIONS_PER_RESPONSE -eq 2 ]] || die "expected 2 violations per response, found $VIOLATIONS_PER_RESPONSE"

# ------------------------------------------------------------------------------------------
# --instructions: the request's cost counted, not timed

send_requests() {   # count: keep-alive GETs with the benchmark's Cookie over 8 connections
    python3 - "$CSY_PORT" "$1" 8 "$COOKIE_HEADER" <<'PY'
import selectors, socket, sys
port, total, conns, cookie = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{cookie}\r\n\r\n".encode()
selector = selectors.DefaultSelector()
sent = done = 0
for _ in range(conns):
    sock = socket.create_connection(("127.0.0.1", port))
    selector.register(sock, selectors.EVENT_READ, bytearray())
    if sent < total:
        sock.sendall(request)
        sent += 1
while done < total:
    for key, _ in selector.select(timeout=60):
        sock, buf = key.fileobj, key.data
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("consentry closed a connection")
        buf += chunk
        while (end := buf.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in bytes(buf[:end]).split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(buf) < end + 4 + length:
                break
            del buf[: end + 4 + length]
            done += 1
            if sent < total:
                sock.sendall(request)
                sent += 1
PY
}

callgrind_dump() {   # pid: dump the counts so far (the process acts on it at its next request)
    callgrind_control --dump "$1" >/dev/null 2>&1 &
    local control=$!
    sleep 0.5
    curl -sS -o /dev/null -H "$COOKIE_HEADER" "http://127.0.0.1:$CSY_PORT/" || true
    wait "$control" || true
}

if [[ $INSTRUCTIONS -gt 0 ]]; then
    say "== instructions per request (callgrind) =="
    dir="$WORK/callgrind"
    mkdir -p "$dir/audit"
    write_consentry_config "$dir/consentry.toml" "$CSY_PORT" "$ADMIN_PORT" "$dir/audit" bench "$AUDIT_AGGREGATE"
    RUST_LOG=warn,consentry::violation=off setsid valgrind --tool=callgrind \
        --callgrind-out-file="$dir/callgrind.out" "$BIN" --log-format pretty serve --config "$dir/consentry.toml" \
        >"$dir/valgrind.log" 2>&1 &
    cg_pid=$!
    PIDS+=("$cg_pid")
    wait_port "$CSY_PORT" 120 "$cg_pid" || { tail -5 "$dir/valgrind.log" >&2 || true; die "consentry did not start under valgrind"; }
    send_requests 300
    callgrind_dump "$cg_pid"
    send_requests "$INSTRUCTIONS"
    callgrind_dump "$cg_pid"
    stop_process "$cg_pid" 60
    [[ -f $dir/callgrind.out.2 ]] || die "callgrind wrote no second dump (see $dir/valgrind.log)"
    total=$(callgrind_annotate "$dir/callgrind.out.2" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    [[ $total =~ ^[0-9]+$ ]] || die "callgrind_annotate gave no total (see $dir/callgrind.out.2)"
    say "  $((total / INSTRUCTIONS)) instructions per request ($total over $INSTRUCTIONS keep-alive requests on 8"
    say "  connections after 300 of warm-up; user space, every thread, the audit writer included)"
    say "  per function: callgrind_annotate $dir/callgrind.out.2 (with --keep)"
    exit 0
fi

# ------------------------------------------------------------------------------------------
# 4-6. The runs

wrk_field() {   # name file
    grep -o "$1=[0-9]*" "$2" | head -1 | cut -d= -f2 || true
}

proc_ticks() {   # pid... -> utime+stime summed, in clock ticks
    local pid stat sum=0 fields
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat")
        stat=${stat##*) }
        read -r -a fields <<<"$stat"
        sum=$((sum + fields[11] + fields[12]))
    done
    echo "$sum"
}

cpu_times() {   # cpu -> "busy total" jiffies of that core
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

vm_hwm_kb() {   # pid
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

run_wrk() {   # url conc duration file
    start_wrk "$@"
    finish_wrk "$WRK_PID" "$4"
}

start_wrk() {   # url conc duration file -> sets WRK_PID
    local url=$1 conc=$2 duration=$3 file=$4
    setsid "${NICE[@]}" taskset -c "$LOAD_CPU" "$WRK" -t"$THREADS" -c"$conc" -d"${duration}s" --timeout 30s --latency \
        -H "$COOKIE_HEADER" -s "$SCRIPT_DIR/wrk-report.lua" "$url" >"$file" 2>&1 &
    WRK_PID=$!
    PIDS+=("$WRK_PID")
    boost "$WRK_PID"
}

finish_wrk() {   # pid file
    local pid=$1 file=$2 rc
    set +e
    wait "$pid"
    rc=$?
    set -e
    forget_pid "$pid"
    [[ $rc -eq 0 ]] || { cat "$file" >&2; die "wrk failed (exit $rc)"; }
    grep -q '^WRK_RESULT' "$file" || { cat "$file" >&2; die "wrk printed no result"; }
}

RESULTS="$WORK/results.tsv"
printf 'round\tconc\ttarget\trps\tp50_us\tp99_us\tcpu_us_req\tcore_load\tcore_proxy\tsock_err\tnon2xx\trequests\tupstream_req\tupstream_conn\tother\n' >"$RESULTS"
# One line per concurrency: the two proxies' peak RSS and consentry's audit accounting.
PROCESSES="$WORK/processes.tsv"
printf 'conc\tnginx_kb\tnginx_master_kb\tconsentry_kb\taudit_low\taudit_written\taudit_high\n' >"$PROCESSES"
AUDIT_BROKEN=0

# The proxies of one concurrency: both started once (each alone serves traffic at any time, the
# other idle on the same core), warmed up, measured in every round, then stopped.
NGX_PID=""
NGX_WORKER=""
CSY_PID=""
UP_LINES=0          # the upstream's access log lines counted so far
CSY_UP_REQ=0        # requests the upstream answered for consentry at this concurrency
CSY_WRK_REQ=0       # responses wrk received through consentry at this concurrency, warm-up included

# Counts the upstream's requests since the last call (its buffered access log, flushed) and
# the distinct connections they came on; sets UP_REQ and UP_CONN.
count_upstream_requests() {
    local lines
    lines=$(upstream_log_lines)
    UP_REQ=$((lines - UP_LINES))
    UP_CONN=$(sed -n "$((UP_LINES + 1)),${lines}p" "$WORK/upstream/access.log" | awk '!($1 in c) { c[$1] = 1; n++ } END { print n + 0 }')
    UP_LINES=$lines
}

# Starts nginx and consentry on the proxy core, both idle, and starts consentry's accounting.
start_both() {
    start_nginx "$WORK/nginx" "$PROXY_CPU" "$NGX_PORT"
    NGX_PID=$STARTED_PID
    NGX_WORKER=$STARTED_WORKER
    start_consentry "$WORK/consentry/consentry.toml" "$WORK/consentry/consentry.log"
    CSY_PID=$STARTED_PID
    CSY_UP_REQ=0
    CSY_WRK_REQ=0
    count_upstream_requests
}

start_proxies() {   # conc: start nginx and consentry on the proxy core, warm each up
    local conc=$1 target url
    start_both
    [[ $WARMUP -gt 0 ]] || return 0
    for target in direct nginx consentry; do
        url=$(target_url "$target")
        if [[ $target == direct ]]; then pin "$PROXY_CPU" "$UP_PID" "$UP_WORKER"; fi
        run_wrk "$url" "$conc" "$WARMUP" "$WORK/wrk/$target-c$conc-warmup.txt"
        if [[ $target == direct ]]; then pin "$LOAD_CPU" "$UP_PID" "$UP_WORKER"; fi
        if [[ $target == consentry ]]; then sleep 0.5; fi
        count_upstream_requests
        if [[ $target == consentry ]]; then
            CSY_UP_REQ=$((CSY_UP_REQ + UP_REQ))
            CSY_WRK_REQ=$((CSY_WRK_REQ + $(wrk_field requests "$WORK/wrk/$target-c$conc-warmup.txt")))
        fi
    done
}

target_url() {   # target
    case $1 in
        direct) echo "http://127.0.0.1:$UP_PORT/" ;;
        nginx) echo "http://127.0.0.1:$NGX_PORT/" ;;
        consentry) echo "http://127.0.0.1:$CSY_PORT/" ;;
    esac
}

# Stops both proxies and checks consentry's audit log for this concurrency: every response wrk
# received through it carried 2 violations, so at least (its responses, warm-up included) x 2
# records must be written, and at most (requests the upstream answered for it) x 2, the
# difference being requests in flight when wrk stopped.
stop_proxies() {   # conc label
    local conc=$1 label=$2 metrics pending failures low high written
    NGX_RSS=$(vm_hwm_kb "$NGX_WORKER")
    NGX_MASTER_KB=$(vm_hwm_kb "$NGX_PID")
    stop_process "$NGX_PID" 10
    forget_worker "$NGX_WORKER"
    [[ $STOP_RC -eq 0 ]] || die "the proxy nginx exited with status $STOP_RC"
    CSY_RSS=$(vm_hwm_kb "$CSY_PID")
    metrics=$(curl -sS "http://127.0.0.1:$ADMIN_PORT/metrics" || true)
    stop_process "$CSY_PID" 30
    [[ $STOP_RC -eq 0 ]] || die "consentry exited with status $STOP_RC (see $WORK/consentry/consentry.log)"
    low=$((CSY_WRK_REQ * VIOLATIONS_PER_RESPONSE))
    high=$((CSY_UP_REQ * VIOLATIONS_PER_RESPONSE))
    written=$(awk -F'"count":' '/"type":"violation"/ { split($2, a, /[,}]/); n += a[1] } END { print n + 0 }' \
        "$WORK/consentry/audit/audit.jsonl")
    pending=$(awk '/^consentry_audit_pending_records / { print $2 }' <<<"$metrics")
    failures=$(awk '/^consentry_audit_write_failures_total / { print $2 }' <<<"$metrics")
    say "$label  peak RSS: nginx worker $(awk -v k="$NGX_RSS" 'BEGIN { printf "%.1f MiB", k / 1024 }'), consentry $(awk -v k="$CSY_RSS" 'BEGIN { printf "%.1f MiB", k / 1024 }');  consentry's audit: written $written, expected $low..$high (pending at end ${pending:-?}, write failures ${failures:-?})"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$conc" "$NGX_RSS" "$NGX_MASTER_KB" "$CSY_RSS" "$low" "$written" "$high" >>"$PROCESSES"
    if [[ $written -lt $low || $written -gt $high ]]; then AUDIT_BROKEN=1; fi
}

run_one() {   # round conc target duration
    local round=$1 conc=$2 target=$3 duration=$4
    local url measured_pids tag="$target-c$conc-r$round"
    url=$(target_url "$target")
    case $target in
        direct)
            pin "$PROXY_CPU" "$UP_PID" "$UP_WORKER"
            measured_pids=("$UP_PID" "$UP_WORKER")
            ;;
        nginx) measured_pids=("$NGX_PID" "$NGX_WORKER") ;;
        consentry) measured_pids=("$CSY_PID") ;;
    esac

    local ticks0 ticks1 load0 load1 prox0 prox1
    ticks0=$(proc_ticks "${measured_pids[@]}")
    read -r -a load0 <<<"$(cpu_times "$LOAD_CPU")"
    read -r -a prox0 <<<"$(cpu_times "$PROXY_CPU")"
    run_wrk "$url" "$conc" "$duration" "$WORK/wrk/$tag.txt"
    ticks1=$(proc_ticks "${measured_pids[@]}")
    read -r -a load1 <<<"$(cpu_times "$LOAD_CPU")"
    read -r -a prox1 <<<"$(cpu_times "$PROXY_CPU")"
    if [[ $target == direct ]]; then pin "$LOAD_CPU" "$UP_PID" "$UP_WORKER"; fi

    local f="$WORK/wrk/$tag.txt" requests duration_us p50 p99 sock non2xx rps cpu_us core_load core_proxy other
    requests=$(wrk_field requests "$f")
    duration_us=$(wrk_field duration_us "$f")
    p50=$(wrk_field p50_us "$f")
    p99=$(wrk_field p99_us "$f")
    sock=$(($(wrk_field connect "$f") + $(wrk_field read "$f") + $(wrk_field write "$f") + $(wrk_field timeout "$f")))
    non2xx=$(wrk_field status "$f")
    [[ ${requests:-0} -gt 0 ]] || { cat "$f" >&2; die "$target at -c$conc: no request completed"; }
    rps=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    cpu_us=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
    core_load=$(awk -v b=$((load1[0] - load0[0])) -v t=$((load1[1] - load0[1])) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
    core_proxy=$(awk -v b=$((prox1[0] - prox0[0])) -v t=$((prox1[1] - prox0[1])) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
    # The proxy core's busy share not spent by the measured processes: other processes (a
    # compiler...) and unattributed kernel work (a few %). High values mean a noisy figure.
    other=$(awk -v b=$((prox1[0] - prox0[0])) -v p=$((ticks1 - ticks0)) -v t=$((prox1[1] - prox0[1])) \
        'BEGIN { o = t ? 100 * (b - p) / t : 0; printf "%.0f", o < 0 ? 0 : o }')

    # consentry may still be answering requests in flight when wrk stops: they must be counted
    # for it (the upper bound of its audit records), not for the next run.
    if [[ $target == consentry ]]; then sleep 0.5; fi
    count_upstream_requests
    if [[ $target == consentry ]]; then
        CSY_UP_REQ=$((CSY_UP_REQ + UP_REQ))
        CSY_WRK_REQ=$((CSY_WRK_REQ + requests))
    fi

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$round" "$conc" "$target" "$rps" "$p50" "$p99" "$cpu_us" "$core_load" "$core_proxy" \
        "$sock" "$non2xx" "$requests" "$UP_REQ" "$UP_CONN" "$other" >>"$RESULTS"

    say "$(printf 'round %s/%s  -c%-5s %-9s %8s req/s  p50 %7.2f ms  p99 %7.2f ms  cpu %6s us/req  core%s %3s%%  core%s %3s%% (other %2s%%)  upstream conns %s  errors %s/%s' \
        "$round" "$(rounds_at "$conc")" "$conc" "$target" "$rps" "$(awk -v u="$p50" 'BEGIN{print u/1000}')" \
        "$(awk -v u="$p99" 'BEGIN{print u/1000}')" "$cpu_us" "$LOAD_CPU" "$core_load" \
        "$PROXY_CPU" "$core_proxy" "$other" "$UP_CONN" "$sock" "$non2xx")"
}

# ------------------------------------------------------------------------------------------
# The rounds: for each concurrency, both proxies up, then each round runs the three targets
# back to back. The two proxies take turns at going first: odd rounds run nginx then
# consentry, even rounds consentry then nginx, so that neither always follows the same run
# (the machine's speed drifts within seconds, and a fixed order would give one of them the same
# neighbour every round).

TARGETS=(direct nginx consentry)
for conc in $CONNECTIONS; do
    duration=$DURATION
    if [[ -n $C1000_DURATION && $conc -ge 1000 ]]; then duration=$C1000_DURATION; fi
    start_proxies "$conc"
    for round in $(seq 1 "$(rounds_at "$conc")"); do
        order=("${TARGETS[@]}")
        if ((round % 2 == 0)); then order=(direct consentry nginx); fi
        for target in "${order[@]}"; do
            run_one "$round" "$conc" "$target" "$duration"
        done
    done
    stop_proxies "$conc" "-c$conc"
done

# ------------------------------------------------------------------------------------------
# Cross-check: both proxies on the proxy core at once. Two wrk at once on the load core, one
# per proxy; the scheduler gives each proxy half of its core, so the one that costs less per
# request serves more, and any drift of the machine's speed falls on both at the same instant.
# Not a target of the issue (those are judged on the interleaved rounds above): a check that
# the ratio at the first concurrency is the proxies' own, not the drift's.

shared_core_check() {
    local conc=${CONNECTIONS%% *} round ngx_pid csy_pid n0 n1 c0 c1 line
    local ngx_url csy_url
    ngx_url=$(target_url nginx)
    csy_url=$(target_url consentry)
    say ""
    say "== cross-check: nginx and consentry on core $PROXY_CPU at once, -c$conc each, $SHARED_ROUNDS x ${SHARED_DURATION}s =="
    start_both
    for round in warmup $(seq 1 "$SHARED_ROUNDS"); do
        local duration=$SHARED_DURATION
        if [[ $round == warmup ]]; then
            [[ $WARMUP -gt 0 ]] || continue
            duration=$WARMUP
        fi
        n0=$(proc_ticks "$NGX_PID" "$NGX_WORKER")
        c0=$(proc_ticks "$CSY_PID")
        start_wrk "$ngx_url" "$conc" "$duration" "$WORK/wrk/shared-nginx-$round.txt"
        ngx_pid=$WRK_PID
        start_wrk "$csy_url" "$conc" "$duration" "$WORK/wrk/shared-consentry-$round.txt"
        csy_pid=$WRK_PID
        finish_wrk "$ngx_pid" "$WORK/wrk/shared-nginx-$round.txt"
        finish_wrk "$csy_pid" "$WORK/wrk/shared-consentry-$round.txt"
        n1=$(proc_ticks "$NGX_PID" "$NGX_WORKER")
        c1=$(proc_ticks "$CSY_PID")
        sleep 0.5
        count_upstream_requests
        CSY_UP_REQ=$((CSY_UP_REQ + UP_REQ))
        CSY_WRK_REQ=$((CSY_WRK_REQ + $(wrk_field requests "$WORK/wrk/shared-consentry-$round.txt")))
        [[ $round == warmup ]] && continue
        line=$(awk -v nr="$(wrk_field requests "$WORK/wrk/shared-nginx-$round.txt")" \
            -v nd="$(wrk_field duration_us "$WORK/wrk/shared-nginx-$round.txt")" \
            -v np="$(wrk_field p99_us "$WORK/wrk/shared-nginx-$round.txt")" \
            -v cr="$(wrk_field requests "$WORK/wrk/shared-consentry-$round.txt")" \
            -v cd="$(wrk_field duration_us "$WORK/wrk/shared-consentry-$round.txt")" \
            -v cp="$(wrk_field p99_us "$WORK/wrk/shared-consentry-$round.txt")" \
            -v nt=$((n1 - n0)) -v ct=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN {
                nrps = nr / (nd / 1e6); crps = cr / (cd / 1e6)
                ncpu = nt / hz * 1e6 / nr; ccpu = ct / hz * 1e6 / cr
                printf "%.0f\t%.0f\t%.1f\t%.0f\t%.0f\t%.1f\t%.6f\t%.6f\t%.6f", nrps, np, ncpu, crps, cp, ccpu, crps / nrps, cp / np, ccpu / ncpu
            }')
        printf '%s\t%s\n' "$round" "$line" >>"$SHARED"
        say "$(awk -F'\t' -v r="$round" -v n="$SHARED_ROUNDS" '{
            printf "round %s/%s  nginx %6.0f req/s  p99 %5.2f ms  cpu %5.1f us/req  |  consentry %6.0f req/s  p99 %5.2f ms  cpu %5.1f us/req  |  consentry/nginx: throughput %.3fx, p99 %.3fx, CPU per request %.3fx",
                r, n, $2, $3 / 1000, $4, $5, $6 / 1000, $7, $8, $9, $10 }' <<<"$round	$line")"
    done
    stop_proxies shared shared
    say "$(awk -F'\t' '
        { t[NR] = $8; q[NR] = $9; u[NR] = $10 }
        function median(a, n,   i, j, x) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END { n = NR; printf "medians: consentry/nginx throughput %.3fx, p99 %.3fx, CPU per request %.3fx (not a target: a check on the ratios above)", median(t, n), median(q, n), median(u, n) }' "$SHARED")"
}

SHARED="$WORK/shared.tsv"
: >"$SHARED"
if [[ $SHARED_ROUNDS -gt 0 ]]; then shared_core_check; fi

# ------------------------------------------------------------------------------------------
# 7. Summary

# median of column $3 for target $1 at concurrency $2
med() {
    awk -F'\t' -v t="$1" -v c="$2" -v col="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
        $3 == t && $2 == c && $idx[col] != "-" { v[++n] = $idx[col] + 0 }
        END {
            if (n == 0) { print "-"; exit }
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
            if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2
        }' "$RESULTS"
}
# the peak RSS (kB) of target $2 (nginx, nginx_master or consentry) at concurrency $1: its
# process served every round of that concurrency, so its high-water mark covers them all
process_field() {
    awk -F'\t' -v c="$1" -v t="$2" '
        NR > 1 && $1 == c { v = (t == "nginx") ? $2 : (t == "nginx_master") ? $3 : (t == "consentry") ? $4 : "-" }
        END { print (v == "") ? "-" : v }' "$PROCESSES"
}
process_sum() {   # column of processes.tsv, summed over the concurrencies
    awk -F'\t' -v col="$1" '
        NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
        { s += $idx[col] }
        END { print s + 0 }' "$PROCESSES"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
# consentry/nginx per round at concurrency $1: the lowest and highest throughput and p99 ratios,
# and in how many rounds consentry's throughput was at least nginx's
round_ratios() {
    awk -F'\t' -v c="$1" '
        NR > 1 && $2 == c && ($3 == "nginx" || $3 == "consentry") { rps[$1, $3] = $4; p99[$1, $3] = $6; seen[$1] = 1 }
        END {
            for (r in seen) {
                if (!(rps[r, "nginx"] > 0 && rps[r, "consentry"] != "" && p99[r, "nginx"] > 0)) continue
                t = rps[r, "consentry"] / rps[r, "nginx"]; q = p99[r, "consentry"] / p99[r, "nginx"]
                if (!n || t < tmin) tmin = t; if (!n || t > tmax) tmax = t
                if (!n || q < qmin) qmin = q; if (!n || q > qmax) qmax = q
                n++; if (t >= 1) ahead++
            }
            if (!n) { print "-"; exit }
            printf "throughput %.3f to %.3fx (at least 1.0x in %d of %d), p99 %.3f to %.3fx", tmin, tmax, ahead, n, qmin, qmax
        }' "$RESULTS"
}
exact_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.6f", a / b }'; }
# The median over the rounds at concurrency $1 of each round's own consentry/nginx ratio of column
# $2, exact. The two runs of a round are seconds apart, so the machine's drift, which moves its
# speed by 10 to 30% between rounds, falls on both alike and cancels in their ratio; the ratio of
# the medians instead compares two medians that can sit in different speeds of the machine.
paired_ratio() {
    awk -F'\t' -v c="$1" -v col="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
        $2 == c && ($3 == "nginx" || $3 == "consentry") && $idx[col] != "-" { v[$1, $3] = $idx[col] + 0; seen[$1] = 1 }
        END {
            for (r in seen) if (v[r, "nginx"] > 0 && (r, "consentry") in v) x[++n] = v[r, "consentry"] / v[r, "nginx"]
            if (n == 0) { print "-"; exit }
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
            printf "%.6f", (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        }' "$RESULTS"
}
shown_ratio() { awk -v r="$1" 'BEGIN { if (r == "-") print "-"; else printf "%.3f", r }'; }

say ""
say "== medians over the rounds ($(rounds_text)) =="
say "$(printf '%-10s %6s %10s %9s %9s %11s %11s %7s %7s %9s' target conc 'req/s' 'p50 ms' 'p99 ms' 'peak RSS' 'CPU us/req' "core$LOAD_CPU" "core$PROXY_CPU" errors)"
for conc in $CONNECTIONS; do
    for target in "${TARGETS[@]}"; do
        rps=$(med "$target" "$conc" rps)
        p50=$(med "$target" "$conc" p50_us)
        p99=$(med "$target" "$conc" p99_us)
        rss=$(process_field "$conc" "$target")
        cpu=$(med "$target" "$conc" cpu_us_req)
        cl=$(med "$target" "$conc" core_load)
        cp=$(med "$target" "$conc" core_proxy)
        errs=$(awk -F'\t' -v t="$target" -v c="$conc" 'NR > 1 && $3 == t && $2 == c { s += $10 + $11 } END { print s + 0 }' "$RESULTS")
        rss_text=$(awk -v k="$rss" 'BEGIN { if (k == "-") print "-"; else printf "%.1f MiB", k / 1024 }')
        say "$(printf '%-10s %6s %10.0f %9.2f %9.2f %11s %11.1f %6.0f%% %6.0f%% %9s' "$target" "$conc" "$rps" \
            "$(awk -v u="$p50" 'BEGIN{print u/1000}')" "$(awk -v u="$p99" 'BEGIN{print u/1000}')" \
            "$rss_text" "$cpu" "$cl" "$cp" "$errs")"
    done
done
say "(peak RSS: VmHWM over every round of the process serving traffic, the nginx worker for nginx (its master: $(process_field "${CONNECTIONS##* }" nginx_master) kB), the whole"
say " consentry process; CPU us/req: the proxy's own CPU time (nginx master+worker, consentry all threads)"
say " over the measured run per completed request, for direct the upstream's; core%: busy share of each core;"
say " errors: wrk socket errors + responses >= 400, summed over rounds; per-run figures above)"

say ""
say "== ratios (medians) =="
for conc in $CONNECTIONS; do
    c_rps=$(med consentry "$conc" rps); n_rps=$(med nginx "$conc" rps); d_rps=$(med direct "$conc" rps)
    c_p99=$(med consentry "$conc" p99_us); n_p99=$(med nginx "$conc" p99_us); d_p99=$(med direct "$conc" p99_us)
    c_cpu=$(med consentry "$conc" cpu_us_req); n_cpu=$(med nginx "$conc" cpu_us_req)
    say "$(printf -- '-c%-5s consentry/nginx: throughput %sx, p99 %sx, CPU per request %sx;  consentry/direct: throughput %sx, p99 %sx' \
        "$conc" "$(ratio "$c_rps" "$n_rps")" "$(ratio "$c_p99" "$n_p99")" "$(ratio "$c_cpu" "$n_cpu")" \
        "$(ratio "$c_rps" "$d_rps")" "$(ratio "$c_p99" "$d_p99")")"
    say "        each round's own consentry/nginx: $(round_ratios "$conc")"
    say "        their median (what the checks judge): throughput $(shown_ratio "$(paired_ratio "$conc" rps)")x, p99 $(shown_ratio "$(paired_ratio "$conc" p99_us)")x"
done
say "(the rounds' own ratios show the machine's drift, which the medians do not: a median within the"
say " rounds' spread of 1.0 is not a result that another run would repeat; the median of the rounds'"
say " own ratios pairs each consentry run with the nginx run seconds from it, so the drift cancels)"

# Audit: the whole chain, every run's file.
say ""
say "== audit log =="
audit_low=$(process_sum audit_low)
audit_written=$(process_sum audit_written)
audit_high=$(process_sum audit_high)
audit_lost=$((audit_low > audit_written ? audit_low - audit_written : 0))
audit_lines=$(cat "$WORK"/consentry/audit/audit.jsonl* | grep -c '"type":"violation"' || true)
say "audit records: expected $audit_low, written $audit_written, lost $audit_lost"
say "  (expected: responses wrk received through consentry, warm-ups included, x $VIOLATIONS_PER_RESPONSE violations each; up to"
say "   $audit_high if the requests still in flight when wrk stopped are counted, as the upstream answered them;"
say "   written: sum of 'count' over $audit_lines violation lines, aggregated)"
verify_out=$("$BIN" audit verify "$WORK"/consentry/audit/audit.jsonl* 2>&1) && verify_rc=0 || verify_rc=$?
audit_files=("$WORK"/consentry/audit/audit.jsonl*)
say "\$ consentry audit verify audit.jsonl* (${#audit_files[@]} files)"
while IFS= read -r line; do say "  ${line//$WORK\//}"; done <<<"$verify_out"
if [[ $AUDIT_BROKEN -eq 1 ]]; then say "  a consentry process wrote fewer records than expected or more than the upstream answered: see its 'peak RSS' line above"; fi

say ""
say "== checks (issue 7 targets) =="
check() {   # label pass(0/1) detail
    if [[ $2 -eq 1 ]]; then say "PASS  $1 ($3)"; else say "FAIL  $1 ($3)"; fi
}
for conc in $CONNECTIONS; do
    # Runs of nginx or consentry at this concurrency whose proxy core was shared (see 'other').
    disturbed=$(awk -F'\t' -v c="$conc" 'NR > 1 && $2 == c && $3 != "direct" && $15 > 15 { n++ } END { print n + 0 }' "$RESULTS")
    note=""
    if [[ $disturbed -gt 0 ]]; then
        note="; UNRELIABLE: $disturbed of $((2 * $(rounds_at "$conc"))) nginx/consentry runs disturbed by other processes"
    fi
    # Judged on the median of the rounds' own ratios (paired_ratio), exact, shown to three
    # decimals: 0.998 is not 1.0 (it would round to it). The ratio of the medians is shown beside.
    r=$(paired_ratio "$conc" rps)
    m=$(exact_ratio "$(med consentry "$conc" rps)" "$(med nginx "$conc" rps)")
    check "throughput >= 1.0x nginx at -c$conc" "$(awk -v r="$r" 'BEGIN { print (r != "-" && r >= 1.0) }')" \
        "$(shown_ratio "$r")x; ratio of the medians $(shown_ratio "$m")x$note"
    r=$(paired_ratio "$conc" p99_us)
    m=$(exact_ratio "$(med consentry "$conc" p99_us)" "$(med nginx "$conc" p99_us)")
    check "p99 <= 1.0x nginx at -c$conc" "$(awk -v r="$r" 'BEGIN { print (r != "-" && r <= 1.0) }')" \
        "$(shown_ratio "$r")x; ratio of the medians $(shown_ratio "$m")x$note"
done
hi_conc=${CONNECTIONS##* }
rss_max=$(process_field "$hi_conc" consentry)
check "peak RSS <= 32 MiB at -c$hi_conc" "$(awk -v k="$rss_max" 'BEGIN { print (k != "-" && k <= 32768) }')" \
    "$(awk -v k="$rss_max" 'BEGIN { printf "%.1f MiB over every round", k / 1024 }')"
audit_ok=0
if [[ $audit_lost -eq 0 && $verify_rc -eq 0 && $AUDIT_BROKEN -eq 0 ]]; then audit_ok=1; fi
check "zero audit records lost" "$audit_ok" "lost $audit_lost, chain verify exit $verify_rc"

noisy=$(awk -F'\t' 'NR > 1 && $15 > 15 { n++ } END { print n + 0 }' "$RESULTS")
if [[ $noisy -gt 0 ]]; then
    say "WARNING: in $noisy of $(($(wc -l <"$RESULTS") - 1)) runs other processes took more than 15% of the proxy's core ('other'):"
    say "         the machine was not quiet (load average now $(cut -d' ' -f1-3 /proc/loadavg)); re-run on a quiet machine before quoting figures"
fi
total_errors=$(awk -F'\t' 'NR > 1 { s += $10 + $11 } END { print s + 0 }' "$RESULTS")
if [[ $total_errors -gt 0 ]]; then
    say "WARNING: $total_errors wrk socket errors or error responses in all (column 'errors'; wrk output in $WORK/wrk, kept with --keep)"
fi
if [[ $hi_conc -ne 1000 ]]; then say "note: the RSS target is for -c1000; the highest concurrency run was -c$hi_conc"; fi
# Warnings and errors consentry logged (the per-violation events of --access-log aside).
problems=$(grep -i 'warn\|error' "$WORK/consentry/consentry.log" | grep -vc 'cookie violation' || true)
if [[ $problems -gt 0 ]]; then
    say "consentry logged $problems warning/error lines; the first ones:"
    grep -i 'warn\|error' "$WORK/consentry/consentry.log" | grep -v 'cookie violation' >"$WORK/consentry/problems.log" || true
    while IFS= read -r line; do say "  $line"; done < <(sed -n 1,5p "$WORK/consentry/problems.log")
fi
for dir in upstream nginx; do
    if grep -q '\[\(warn\|error\|crit\|alert\|emerg\)\]' "$WORK/$dir/error.log" 2>/dev/null; then
        say "the $dir nginx logged problems; the first ones:"
        while IFS= read -r line; do say "  $line"; done < <(grep '\[\(warn\|error\|crit\|alert\|emerg\)\]' "$WORK/$dir/error.log" | sed -n 1,5p)
    fi
done
if [[ $KEEP -eq 1 ]]; then say "files: $WORK"; fi
