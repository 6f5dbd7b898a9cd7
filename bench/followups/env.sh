# Sourced by the follow-up benches (run.sh, cap_fan_out.sh) from the repository's root, with DB
# and BENCH_REDIS_PORT set: recreates the database $DB, starts a redis-server of the bench's own
# on that port (never the shared 6379), and exports production settings pointed at both, with
# the email backend that writes one line per message to $BENCH_MAIL_LOG. bench_stop (on EXIT)
# stops $worker if the bench started one, the redis-server, and removes the mail log.
if [[ "$BENCH_REDIS_PORT" == 6379 ]]; then
    echo "the follow-up benches use a Redis of their own, not the shared 6379" >&2
    exit 1
fi
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:$BENCH_REDIS_PORT/0"
export DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export EMAIL_BACKEND="bench.followups.count_backend.CountingBackend"
# Production refuses the console SMS provider by name; a bench sends nothing, on purpose.
export SMS_PROVIDER=messaging.sms.console.ConsoleSms
BENCH_MAIL_LOG="$(mktemp)"
export BENCH_MAIL_LOG
export PYTHONPATH="$PWD"
worker=

bench_stop() {
    if [[ -n "$worker" ]] && kill -TERM "$worker" 2>/dev/null; then
        wait "$worker" 2>/dev/null || true
    fi
    kill -TERM "$bench_redis" 2>/dev/null || true
    rm -f "$BENCH_MAIL_LOG"
}

redis-server --port "$BENCH_REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
bench_redis=$!
trap bench_stop EXIT
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
.venv/bin/python manage.py migrate -v0
