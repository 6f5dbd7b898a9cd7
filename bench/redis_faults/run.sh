#!/usr/bin/env bash
# Redis faults: the shop under a bounded load while its Redis (the cache and the broker) is
# stopped for 2 minutes, then frozen for 45 s. Counts server errors, latency by phase (p99
# during the freeze), orders placed, and whether every email of the run went out once.
#
#     bench/redis_faults/run.sh                 (about 8 minutes)
#     BENCH_QUICK=1 bench/redis_faults/run.sh   (about 3 minutes: stop 20 s, freeze 15 s)
#
# Knobs: BENCH_STOP_SECONDS (120), BENCH_FREEZE_SECONDS (45), BENCH_UP_SECONDS (30: before,
# between and after the faults), BENCH_DRAIN_SECONDS (400: the longest wait for the emails
# afterwards), BENCH_REDIS_PORT (6393), BENCH_PORT (8766), BENCH_NO_README=1 (leave
# bench/README.md alone). BENCH_QUICK=1 also sets MESSAGING_SWEEP_GRACE_SECONDS=30.
#
# 1. shop_bench_redis: recreated, migrated, the demo catalogue (seed_demo); every variant
#    gets 1,000,000 units but 12 that get 4 (an order of one of those changes what the
#    catalogue shows, so it bumps the cache after commit);
# 2. a redis-server of the bench's own on BENCH_REDIS_PORT, never the shared 6379, with no
#    persistence (a stop loses the cache and the queue, the worst case), and the Procfile's
#    processes on production settings: gunicorn (4 sync workers, no control socket), a
#    Celery worker (prefork, 2 processes) and beat; every email is one line in a file
#    (bench/followups/count_backend.py) instead of SMTP;
# 3. bench/redis_faults/load.py: the load, the fault schedule (SIGTERM then a new empty
#    server; SIGSTOP then SIGCONT), then the wait until every message of the run is sent;
# 4. bench/redis_faults/report.py: bench/reports/redis-faults-<date>-<time>.{json,md} and the
#    Redis faults section of bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
PORT=${BENCH_PORT:-8766}
REDIS_PORT=${BENCH_REDIS_PORT:-6393}
if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
    UP=${BENCH_UP_SECONDS:-10} STOP=${BENCH_STOP_SECONDS:-20} FREEZE=${BENCH_FREEZE_SECONDS:-15}
    export MESSAGING_SWEEP_GRACE_SECONDS=${MESSAGING_SWEEP_GRACE_SECONDS:-30}
else
    UP=${BENCH_UP_SECONDS:-30} STOP=${BENCH_STOP_SECONDS:-120} FREEZE=${BENCH_FREEZE_SECONDS:-45}
fi
DRAIN=${BENCH_DRAIN_SECONDS:-400}
BASE="http://127.0.0.1:$PORT"
if [[ "$REDIS_PORT" == 6379 ]]; then
    echo "The bench stops and freezes its Redis: give it a port of its own, not 6379." >&2
    exit 1
fi

# The servers' environment: production settings over plain HTTP on 127.0.0.1.
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY DJANGO_SETTINGS_MODULE=config.settings.production
export ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 SERVE_MEDIA=1
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_redis
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
# The buyers send X-Forwarded-For, one address each, as through one proxy: the public write
# limits then count each buyer apart, as they would real ones.
export TRUSTED_PROXY_COUNT=1
export HEALTHZ_DISPATCHER_MINUTES=1000000  # /healthz is probed for the database, cache and broker here
export VAR_DIR="$ROOT/bench/var/redis-faults"
export LOG_LEVEL=WARNING
export EMAIL_BACKEND=bench.followups.count_backend.CountingBackend
# Production refuses the console SMS provider by name; a bench sends nothing, on purpose.
export SMS_PROVIDER=messaging.sms.console.ConsoleSms
export PYTHONPATH="$ROOT"
RUN_DIR="$ROOT/bench/var/redis-faults-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR" "$VAR_DIR"
export BENCH_MAIL_LOG="$RUN_DIR/mail.log"
: >"$BENCH_MAIL_LOG"
PIDFILE="$RUN_DIR/redis.pid"

PIDS=""
stop_all() {
    for pid in $PIDS; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [[ -f "$PIDFILE" ]]; then
        kill -CONT "$(cat "$PIDFILE")" 2>/dev/null || true
        kill -TERM "$(cat "$PIDFILE")" 2>/dev/null || true
    fi
}
trap stop_all EXIT INT TERM

echo "== redis-server of the bench's own on port $REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$PIDFILE" --logfile "$RUN_DIR/redis.log"
for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
done

echo "== database shop_bench_redis (recreated), migrate, demo catalogue"
psql -q -h 127.0.0.1 -U postgres -d postgres \
    -c "DROP DATABASE IF EXISTS shop_bench_redis WITH (FORCE)" -c "CREATE DATABASE shop_bench_redis"
"$PY" manage.py migrate --verbosity 0
"$PY" manage.py seed_demo >/dev/null
"$PY" manage.py collectstatic --noinput --verbosity 0
psql -q -h 127.0.0.1 -U postgres -d shop_bench_redis \
    -c "UPDATE shop_variant SET stock = 1000000, is_active = true" \
    -c "UPDATE shop_variant SET stock = 4 WHERE id IN (SELECT id FROM shop_variant ORDER BY id DESC LIMIT 12)"
redis-cli -p "$REDIS_PORT" flushall >/dev/null

echo "== gunicorn (4 workers), Celery worker (2 processes), beat"
"$ROOT/.venv/bin/gunicorn" config.wsgi --chdir "$ROOT" --bind "127.0.0.1:$PORT" --workers 4 \
    --worker-class sync --log-level warning --no-control-socket >>"$RUN_DIR/gunicorn.log" 2>&1 &
PIDS="$PIDS $!"
"$ROOT/.venv/bin/celery" -A config worker --loglevel=WARNING --concurrency=2 \
    >>"$RUN_DIR/worker.log" 2>&1 &
PIDS="$PIDS $!"
"$ROOT/.venv/bin/celery" -A config beat --loglevel=WARNING \
    --schedule="$RUN_DIR/celerybeat-schedule" >>"$RUN_DIR/beat.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$BASE/healthz" && break
    sleep 0.2
done
curl -sf "$BASE/healthz" >/dev/null || { cat "$RUN_DIR/gunicorn.log"; exit 1; }
sleep 3  # the worker connects

echo "== load: up ${UP}s, Redis stopped ${STOP}s, up ${UP}s, Redis frozen ${FREEZE}s, up ${UP}s"
"$PY" bench/redis_faults/load.py --base "$BASE" --redis-port "$REDIS_PORT" \
    --redis-pidfile "$PIDFILE" --phases "up=$UP,stop=$STOP,back=$UP,freeze=$FREEZE,after=$UP" \
    --drain "$DRAIN" | tee "$RUN_DIR/load.txt"
# The report reads the versions of PostgreSQL and Redis, so it runs before they go.
"$PY" bench/redis_faults/report.py --run-dir "$RUN_DIR" ${BENCH_NO_README:+--no-readme}
