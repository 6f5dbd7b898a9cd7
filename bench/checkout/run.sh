#!/usr/bin/env bash
# Checkout benchmark: orders per second and latency with 8 buyers, and 50 buyers racing for the
# last 10 units, over HTTP against gunicorn on PostgreSQL with the 10,000-product seed, while a
# real Celery worker (Redis broker) sends the confirmation emails.
#
#     bench/checkout/run.sh        (about 3 minutes; BENCH_SKIP_SEED=1 reuses shop_bench)
#
# 1. shop_bench: recreated and seeded by bench/seed_catalogue.py unless BENCH_SKIP_SEED=1;
#    2,000 variants are given 1,000,000 units so that the throughput run never sells out;
# 2. gunicorn (config.settings.production, BENCH_WORKERS sync workers, 4 by default) and one
#    Celery worker (solo pool) whose email backend writes one line per message to a file;
# 3. bench/checkout/buyers.py throughput: BENCH_BUYERS (8) threads check out for
#    BENCH_SECONDS (30) after a 5 s warm-up, each checkout five requests on a fresh session;
# 4. gunicorn restarted with BENCH_CONTENTION_WORKERS (16) workers, so that many place_order
#    transactions meet in PostgreSQL at once; buyers.py contention: 50 buyers, 10 units;
# 5. the emails the worker sent are counted against the orders; the report goes to
#    bench/reports/checkout-<date>-<time>.{json,md} and the checkout section of bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
PORT=${BENCH_PORT:-8765}
WORKERS=${BENCH_WORKERS:-4}
CONTENTION_WORKERS=${BENCH_CONTENTION_WORKERS:-16}
BUYERS=${BENCH_BUYERS:-8}
SECONDS_RUN=${BENCH_SECONDS:-30}
BASE="http://127.0.0.1:$PORT"

export DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0
# Each buyer sends its own X-Forwarded-For, as behind a proxy: the public write limits
# (issue 17) count buyers apart instead of refusing the load generator's one address.
export TRUSTED_PROXY_COUNT=1
export SERVE_MEDIA=1
DB=${BENCH_DATABASE:-shop_bench}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/4}
export VAR_DIR="$ROOT/bench/var"
export LOG_LEVEL=WARNING
export SMS_PROVIDER=messaging.sms.console.ConsoleSms  # production refuses "console"; nothing is sent
export HEALTHZ_DISPATCHER_MINUTES=1000000  # no beat here: the readiness probe must not wait for a dispatcher
export EMAIL_BACKEND=bench.followups.count_backend.CountingBackend
# Production refuses the console SMS provider by name; a bench sends nothing, on purpose.
export SMS_PROVIDER=messaging.sms.console.ConsoleSms
export PYTHONPATH="$ROOT"
RUN_DIR="$ROOT/bench/var/checkout-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"
export BENCH_MAIL_LOG="$RUN_DIR/mail.log"
: >"$BENCH_MAIL_LOG"

SERVER_PID="" WORKER_PID=""
stop_all() {
    for pid in $SERVER_PID $WORKER_PID; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    SERVER_PID="" WORKER_PID=""
}
trap stop_all EXIT INT TERM

start_server() {  # workers
    env DB_POOL_MAX=2 "$ROOT/.venv/bin/gunicorn" config.wsgi --chdir "$ROOT" \
        --bind "127.0.0.1:$PORT" --workers "$1" --worker-class sync \
        --log-level warning --no-control-socket >>"$RUN_DIR/gunicorn.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "$BASE/healthz" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RUN_DIR/gunicorn.log"; exit 1; }
        sleep 0.2
    done
    echo "gunicorn did not answer in 20 s" >&2
    exit 1
}
stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

if [[ "${BENCH_SKIP_SEED:-0}" != 1 ]]; then
    echo "== database $DB (recreated), migrate, seed"
    psql -q -h 127.0.0.1 -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    "$PY" manage.py migrate --verbosity 0
    "$PY" bench/seed_catalogue.py
fi
"$PY" manage.py migrate --verbosity 0
"$PY" manage.py collectstatic --noinput --verbosity 0
psql -q -h 127.0.0.1 -U postgres -d "$DB" -c "
    UPDATE shop_variant SET stock = 1000000, is_active = true WHERE id IN (
        SELECT v.id FROM shop_variant v JOIN shop_product p ON p.id = v.product_id
        WHERE p.status = 'active' ORDER BY v.id LIMIT 2000)"
orders_before=$(psql -tA -h 127.0.0.1 -U postgres -d "$DB" -c "SELECT count(*) FROM orders_order")
"$PY" -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()'

"$ROOT/.venv/bin/celery" -A config worker --pool=solo --concurrency=1 --loglevel=WARNING \
    --without-heartbeat --without-mingle --without-gossip >>"$RUN_DIR/worker.log" 2>&1 &
WORKER_PID=$!

echo "== throughput: $BUYERS buyers, ${SECONDS_RUN}s, gunicorn $WORKERS sync workers"
start_server "$WORKERS"
"$PY" bench/checkout/others.py start "$RUN_DIR/cpu.state" "$SERVER_PID" "$WORKER_PID"
"$PY" bench/checkout/buyers.py throughput --base "$BASE" --buyers "$BUYERS" \
    --seconds "$SECONDS_RUN" | tee "$RUN_DIR/throughput.txt"
"$PY" bench/checkout/others.py stop "$RUN_DIR/cpu.state" "$RUN_DIR/others.json" \
    "$SERVER_PID" "$WORKER_PID"
stop_server

echo "== contention: 50 buyers, 10 units, gunicorn $CONTENTION_WORKERS sync workers"
start_server "$CONTENTION_WORKERS"
"$PY" bench/checkout/buyers.py contention --base "$BASE" --buyers 50 --stock 10 \
    | tee "$RUN_DIR/contention.txt"
stop_server

echo "== waiting for the worker to send every confirmation"
orders_after=$(psql -tA -h 127.0.0.1 -U postgres -d "$DB" -c "SELECT count(*) FROM orders_order")
for _ in $(seq 1 120); do
    (($(wc -l <"$BENCH_MAIL_LOG") >= orders_after - orders_before)) && break
    sleep 1
done
sleep 2
stop_all

"$PY" bench/checkout/report.py --run-dir "$RUN_DIR" --orders "$((orders_after - orders_before))" \
    --workers "$WORKERS" --contention-workers "$CONTENTION_WORKERS" \
    ${BENCH_NO_README:+--no-readme}
