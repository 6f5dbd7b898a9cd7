#!/usr/bin/env bash
# 100,000 due follow-ups dispatched by one real Celery worker (Redis broker, PostgreSQL):
# rows per second, the worker's peak memory, and a count proving each row was sent once.
# Usage: bench/followups/run.sh [rows]   (writes bench/reports/followups-<date>.json)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-100000}
DB=shop_bench_followups
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:6379/6"
export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
export EMAIL_BACKEND="bench.followups.count_backend.CountingBackend"
export BENCH_MAIL_LOG="$(mktemp)"
export PYTHONPATH="$PWD"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
redis-cli -n 6 flushdb >/dev/null
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/followups/seed.py "$ROWS"

.venv/bin/celery -A config worker --pool=solo --concurrency=1 --loglevel=WARNING --without-heartbeat --without-mingle --without-gossip &
worker=$!
trap 'kill -TERM $worker 2>/dev/null || true' EXIT
sleep 4
peak_file=$(mktemp)
( while kill -0 $worker 2>/dev/null; do grep VmHWM /proc/$worker/status 2>/dev/null | awk '{print $2}' > "$peak_file.tmp" && mv "$peak_file.tmp" "$peak_file"; sleep 0.5; done ) &
rss_start=$(grep VmRSS /proc/$worker/status | awk '{print $2}')
.venv/bin/python - <<'PY'
import django, os, time
django.setup()
from reviews.tasks import dispatch_follow_ups
from reviews.models import DispatcherRun, FollowUp
dispatch_follow_ups.delay()
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    run = DispatcherRun.objects.filter(finished_at__isnull=False).first()
    if run:
        break
    time.sleep(1)
PY
sleep 1
peak_kb=$(cat "$peak_file")
rss_end=$(grep VmRSS /proc/$worker/status | awk '{print $2}')
kill -TERM $worker; wait $worker 2>/dev/null || true
trap - EXIT
.venv/bin/python - "$ROWS" "$rss_start" "$rss_end" "$peak_kb" <<'PY'
import collections, datetime, json, os, platform, subprocess, sys
import django
django.setup()
from reviews.models import DispatcherRun, FollowUp
rows, rss_start, rss_end, peak = (int(x) for x in sys.argv[1:5])
run = DispatcherRun.objects.first()
seconds = (run.finished_at - run.started_at).total_seconds()
lines = open(os.environ["BENCH_MAIL_LOG"], encoding="utf-8").read().splitlines()
per_row = collections.Counter(lines)
sent = FollowUp.objects.filter(state="sent").count()
report = {
    "date": datetime.date.today().isoformat(),
    "rows": rows,
    "sent_rows": sent,
    "emails_logged": len(lines),
    "distinct_emails": len(per_row),
    "max_sends_of_one_email": max(per_row.values()) if per_row else 0,
    "seconds": round(seconds, 1),
    "rows_per_second": round(sent / seconds) if seconds else None,
    "worker_rss_kb_start": rss_start,
    "worker_rss_kb_end": rss_end,
    "worker_peak_rss_kb": peak,
    "batch": int(os.environ.get("FOLLOWUP_BATCH", "500")),
    "machine": f"{os.cpu_count()} cores, {platform.python_version()}, " + subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"], capture_output=True, text=True).stdout.strip(),
}
os.makedirs("bench/reports", exist_ok=True)
path = f"bench/reports/followups-{report['date']}.json"
json.dump(report, open(path, "w"), indent=2)
print(json.dumps(report, indent=2))
assert sent == rows == len(lines) == len(per_row), "each row must be sent exactly once"
PY
rm -f "$BENCH_MAIL_LOG" "$peak_file"
