#!/usr/bin/env bash
# The catalogue benchmark, end to end, in one command (about 6 minutes on 2 cores):
#
#     bench/run_catalogue.sh
#
# 1. recreates the PostgreSQL database shop_bench, migrates, seeds 10,000 products x 6 variants
#    with photos (bench/seed_catalogue.py), runs collectstatic into bench/var/static;
# 2. counts queries per page on a cold and a warm cache (bench/query_counts.py) and saves each
#    page's HTML; the catalogue page's HTML is copied into STATIC_ROOT as the "ceiling" file, so
#    the static file whitenoise serves has exactly the size of the catalogue page;
# 3. starts gunicorn (config.settings.production, Redis cache in db 5, flushed first) on
#    127.0.0.1 and, for each URL, runs wrk: a warm-up, a saturation run for requests/s and a run
#    at 8 connections for p50/p95 latency (bench/wrk_report.lua prints wrk's own percentiles);
#    the pages as they are (after the warm-up, cache hits), then the catalogue pages with a new
#    filter on every request and the product page over all 10,000 slugs (cache misses);
# 4. restarts gunicorn with CATALOGUE_CACHE_SECONDS=0 (no page, grid or facets cached)
#    and measures the catalogue pages again, then the ceiling once more;
# 5. bench/report.py writes bench/reports/catalogue-<UTC date and time of the run>.{json,md}
#    and the results section of bench/README.md.
# Other work on the machine lowers every figure: before each measured run the script waits (up
# to BENCH_WAIT_MAX seconds, 20 by default) for a second with at least BENCH_IDLE_MIN percent
# (80) of the CPU idle, then measures the CPU share other programs took during the run; the
# report shows it beside each figure.
#
# Knobs (environment): BENCH_DURATION (15s), BENCH_WARMUP (3s), BENCH_SAT_CONNECTIONS (32),
# BENCH_WORKERS (4), BENCH_WORKER_CLASS (sync), BENCH_THREADS (1), BENCH_PORT (8765),
# BENCH_SKIP_SEED=1 (reuse the seeded database), BENCH_NO_README=1 (leave README.md alone),
# BENCH_APP (WSGI app, default config.wsgi) with BENCH_PYTHONPATH, to measure a candidate
# change kept outside the tree, and BENCH_REPORT_NAME (default catalogue-<date>-<time>).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH="$ROOT/bench"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"

PORT=${BENCH_PORT:-8765}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
SAT_CONNECTIONS=${BENCH_SAT_CONNECTIONS:-32}
IDLE_MIN=${BENCH_IDLE_MIN:-80}
WAIT_MAX=${BENCH_WAIT_MAX:-20}
LAT_CONNECTIONS=8
WORKERS=${BENCH_WORKERS:-4}
WORKER_CLASS=${BENCH_WORKER_CLASS:-sync}
THREADS=${BENCH_THREADS:-1}
APP=${BENCH_APP:-config.wsgi}
PYTHONPATH_EXTRA=${BENCH_PYTHONPATH:-$ROOT}
PRODUCT_SLUG=bench-05000
BASE="http://127.0.0.1:$PORT"

export DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY=$("$PY" -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(60)))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0
export SERVE_MEDIA=1
# Production refuses the console SMS provider by name; a bench sends nothing, on purpose.
export SMS_PROVIDER=messaging.sms.console.ConsoleSms
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench
export REDIS_URL=redis://127.0.0.1:6379/5
export VAR_DIR="$BENCH/var"            # static and media of the bench, away from the app's var/
export LOG_LEVEL=WARNING
export DB_POOL_MAX=$((THREADS > 4 ? THREADS : 4))

RUN_DIR="$BENCH/var/run-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"
git -C "$ROOT" rev-parse --short HEAD >"$RUN_DIR/git-commit" 2>/dev/null || true
git -C "$ROOT" status --porcelain >"$RUN_DIR/git-status" 2>/dev/null || true
MANIFEST="$RUN_DIR/manifest.tsv"
: >"$MANIFEST"
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
    fi
    SERVER_PID=""
}
trap stop_server EXIT INT TERM

flush_cache() {
    "$PY" -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()'
}

start_server() {  # extra environment as NAME=VALUE arguments
    flush_cache
    env "$@" "$GUNICORN" "$APP" --chdir "$ROOT" --pythonpath "$PYTHONPATH_EXTRA" \
        --bind "127.0.0.1:$PORT" \
        --workers "$WORKERS" --worker-class "$WORKER_CLASS" --threads "$THREADS" \
        --log-level warning --no-control-socket >>"$RUN_DIR/gunicorn.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if curl -sf -o /dev/null "$BASE/static/bench/ceiling.html"; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RUN_DIR/gunicorn.log"; exit 1; }
        sleep 0.2
    done
    echo "gunicorn did not answer in 20 s" >&2
    exit 1
}

# idle_percent: the share of CPU time left idle over one second (while no load runs).
idle_percent() {
    local -a a b
    read -ra a </proc/stat
    sleep 1
    read -ra b </proc/stat
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do
        total=$((total + b[i] - a[i]))
    done
    echo $((100 * (b[4] - a[4] + b[5] - a[5]) / (total > 0 ? total : 1)))
}

# CPU accounting, to tell how much of the machine other work took during a run:
# busy_ticks: all CPUs' busy clock ticks so far; own_ticks: ticks used by this benchmark's server
# side (gunicorn master and workers, the PostgreSQL backends of shop_bench, redis-server).
busy_ticks() {
    local -a a
    read -ra a </proc/stat
    echo $((a[1] + a[2] + a[3] + a[6] + a[7] + a[8]))
}
total_ticks() {
    local -a a
    read -ra a </proc/stat
    echo $((a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7] + a[8]))
}
own_ticks() {
    local total=0 pid stat
    local -a f
    for pid in $SERVER_PID $(pgrep -P "$SERVER_PID") $(pgrep -f "postgres: .* shop_bench ") \
        $(pgrep -x redis-server); do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -ra f <<<"${stat##*) }"
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}

# wrk_run NAME KIND CONNECTIONS DURATION URL [ENV...]: one wrk run, output kept in RUN_DIR.
wrk_run() {
    local name=$1 kind=$2 conns=$3 duration=$4 url=$5
    shift 5
    local out="$RUN_DIR/$name.$kind.txt"
    local load idle waited=0
    idle=$(idle_percent)
    while ((idle < IDLE_MIN && waited < WAIT_MAX)); do
        idle=$(idle_percent)
        waited=$((waited + 1))
    done
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    local busy0 total0 own0 wrk_seconds others
    busy0=$(busy_ticks) total0=$(total_ticks) own0=$(own_ticks)
    wrk_seconds=$( { TIMEFORMAT='%3U %3S'; time env "$@" wrk -t2 -c"$conns" -d"$duration" \
        --timeout 10s --latency -s "$BENCH/wrk_report.lua" "$url" >"$out" 2>&1; } 2>&1)
    # Others' share of the machine during the run: busy ticks not spent by the server side or
    # by wrk itself, over all ticks.
    others=$(awk -v b="$(($(busy_ticks) - busy0))" -v t="$(($(total_ticks) - total0))" \
        -v o="$(($(own_ticks) - own0))" -v w="$wrk_seconds" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { split(w, s, " "); x = b - o - hz * (s[1] + s[2]); if (x < 0) x = 0;
                 printf "%d", (t > 0 ? 100 * x / t : 0) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$kind" "$url" "$conns" \
        "$duration" "$load" "$idle" "${*:-}" "$others" >>"$MANIFEST"
    grep BENCH_JSON "$out" | sed 's/^BENCH_JSON /    /'
}

# measure NAME URL [ENV...]: warm-up, saturation, then latency at 8 connections.
measure() {
    local name=$1 url=$2
    shift 2
    echo "== $name  $url $*"
    local size
    size=$(curl -sf -o /dev/null -w '%{size_download}' "$url") || {
        echo "$url does not answer 200" >&2
        exit 1
    }
    echo "    $size bytes"
    env "$@" wrk -t2 -c"$LAT_CONNECTIONS" -d"$WARMUP" -s "$BENCH/wrk_report.lua" "$url" >/dev/null
    wrk_run "$name" saturation "$SAT_CONNECTIONS" "$DURATION" "$url" "$@"
    wrk_run "$name" latency "$LAT_CONNECTIONS" "$DURATION" "$url" "$@"
}

if [[ "${BENCH_SKIP_SEED:-0}" != 1 ]]; then
    echo "== database shop_bench (recreated), migrate, seed"
    psql -q -h 127.0.0.1 -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS shop_bench WITH (FORCE)" -c "CREATE DATABASE shop_bench"
    "$PY" manage.py migrate --verbosity 0
    rm -rf "$VAR_DIR/media/products/bench"
    "$PY" "$BENCH/seed_catalogue.py"
fi
"$PY" manage.py migrate --verbosity 0  # also when reusing the data: the app's models move
"$PY" manage.py collectstatic --noinput --verbosity 0

echo "== queries per page (cold cache, then warm)"
flush_cache
"$PY" "$BENCH/query_counts.py" --json "$RUN_DIR/queries.json" --save-html "$RUN_DIR/html"
# The ceiling: the catalogue page's own bytes as a static file, served by whitenoise from
# STATIC_ROOT (whitenoise indexes STATIC_ROOT when gunicorn starts, so copy it first).
mkdir -p "$VAR_DIR/static/bench"
cp "$RUN_DIR/html/catalogue.html" "$VAR_DIR/static/bench/ceiling.html"

CATALOGUE="$BASE/products/"
FILTERED="$BASE/products/?size=M&in_stock=on&sort=price_asc"
PRODUCT="$BASE/products/$PRODUCT_SLUG/"
CEILING="$BASE/static/bench/ceiling.html"

echo "== gunicorn: $WORKERS x $WORKER_CLASS worker(s), $THREADS thread(s); catalogue cache on"
start_server
measure ceiling "$CEILING"
measure catalogue "$CATALOGUE"
measure filtered "$FILTERED"
measure product "$PRODUCT"
measure catalogue_grid_miss "$CATALOGUE" BENCH_ROTATE=grid_miss
measure filtered_grid_miss "$FILTERED" BENCH_ROTATE=grid_miss
measure product_all_slugs "$PRODUCT" BENCH_ROTATE=slugs BENCH_ROTATE_N=10000
stop_server

echo "== gunicorn again with CATALOGUE_CACHE_SECONDS=0: nothing of the catalogue is cached"
start_server CATALOGUE_CACHE_SECONDS=0
measure catalogue_no_cache "$CATALOGUE"
measure filtered_no_cache "$FILTERED"
measure ceiling_end "$CEILING"
stop_server

REPORT_ARGS=(--run-dir "$RUN_DIR" --workers "$WORKERS" --worker-class "$WORKER_CLASS"
    --threads "$THREADS" --app "$APP")
if [[ -n "${BENCH_REPORT_NAME:-}" ]]; then
    REPORT_ARGS+=(--name "$BENCH_REPORT_NAME")
fi
if [[ "${BENCH_NO_README:-0}" != 1 ]]; then
    REPORT_ARGS+=(--update-readme)
fi
"$PY" "$BENCH/report.py" "${REPORT_ARGS[@]}"
