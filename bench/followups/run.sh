#!/usr/bin/env bash
# 100,000 due follow-ups dispatched by one real Celery worker (Redis broker, PostgreSQL):
# rows per second, the worker's memory over the run, and a count proving each row was sent once.
#
#     bench/followups/run.sh [rows]     (about 3 minutes for 100,000)
#
# The worker is the Procfile's: prefork, BENCH_CONCURRENCY processes (2, one per core), on a
# redis-server of the bench's own (BENCH_REDIS_PORT, 6387: bench/followups/env.sh); with
# BENCH_POOL=solo it is one process. The dispatch is started as beat starts it (one
# dispatch_follow_ups task, which fans out to FOLLOWUP_DISPATCHERS when a backlog is due).
# The email backend (bench/followups/count_backend.py) builds each MIME message, as an SMTP
# or file backend would, and writes one line per message to a file instead of sending it.
# Writes bench/reports/followups-<date>-<rows>-<pool><BENCH_TAG>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-100000}
POOL=${BENCH_POOL:-prefork}
CONCURRENCY=${BENCH_CONCURRENCY:-2}
[[ "$POOL" == solo ]] && CONCURRENCY=1
DB=shop_bench_followups
BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-6387}
export FOLLOWUP_DISPATCHERS="$CONCURRENCY"
source bench/followups/env.sh
.venv/bin/python bench/followups/seed.py "$ROWS"

.venv/bin/celery -A config worker --pool="$POOL" --concurrency="$CONCURRENCY" \
    --loglevel=WARNING --without-heartbeat --without-mingle --without-gossip &
worker=$!
sleep 5
rss_log=$(mktemp)
cpu_log=$(mktemp)
# Every half second: the resident size of each of the worker's processes (main and pool
# children) and their sum, to show whether memory grows with the rows sent; and, in cpu_log,
# the time, the CPU ticks the worker's processes have used and the machine's busy and total
# ticks, to tell the worker's CPU from other work's (the machine is shared).
(
    while kill -0 $worker 2>/dev/null; do
        line=""
        ticks=0
        for pid in $worker $(pgrep -P $worker); do
            line+="$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0) "
            ticks=$((ticks + $(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null || echo 0)))
        done
        echo "$line" >>"$rss_log"
        echo "$(date +%s.%N) $ticks $(awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)" >>"$cpu_log"
        sleep 0.5
    done
) &
.venv/bin/python - <<'PY'
import time

import django

django.setup()
from followups.models import DispatcherRun, FollowUp
from followups.tasks import dispatch_follow_ups

dispatch_follow_ups.delay()  # as beat does
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    unsent = FollowUp.objects.filter(state__in=["planned", "sending"]).exists()
    running = DispatcherRun.objects.filter(finished_at__isnull=True).exists()
    if not unsent and not running and DispatcherRun.objects.exists():
        break
    time.sleep(0.5)
PY
sleep 1
kill -TERM $worker
wait $worker 2>/dev/null || true
worker=
sleep 1
.venv/bin/python - "$ROWS" "$rss_log" "$POOL" "$CONCURRENCY" "$cpu_log" <<'PY'
import bisect, collections, datetime, json, os, platform, subprocess, sys

import django

django.setup()
from django.db.models import Max, Min, Sum

from followups.models import DispatcherRun, FollowUp
from messaging.models import Message

rows, rss_log, pool, concurrency = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
runs = DispatcherRun.objects.aggregate(
    start=Min("started_at"), end=Max("finished_at"), sent=Sum("sent")
)
seconds = (runs["end"] - runs["start"]).total_seconds()
# Dispatching is deciding and queueing; the emails are sent by messaging's tasks meanwhile and
# after: from the first run's start to the last email recorded sent.
last_sent = Message.objects.aggregate(last=Max("sent_at"))["last"]
end_to_end = (last_sent - runs["start"]).total_seconds()


def cpu_between(start, end) -> dict:
    """The worker's CPU seconds and the share of the machine's CPU used outside the worker (its PostgreSQL
    and Redis included, and any other work on the machine),
    between two moments (the samples just outside them)."""
    cpu = [[float(x) for x in line.split()] for line in open(sys.argv[5]) if line.strip()]
    times = [c[0] for c in cpu]
    a = cpu[max(0, bisect.bisect_right(times, start.timestamp()) - 1)]
    b = cpu[min(len(cpu) - 1, bisect.bisect_left(times, end.timestamp()))]
    hz = os.sysconf("SC_CLK_TCK")
    worker = (b[1] - a[1]) / hz
    busy, total = (b[2] - a[2]) / hz, (b[3] - a[3]) / hz
    return {
        "seconds_sampled": round(b[0] - a[0], 1),
        "worker_cpu_seconds": round(worker, 1),
        "machine_cpu_share_outside_worker": round(max(0.0, busy - worker) / total, 2) if total else None,
    }
samples = [[int(x) for x in line.split()] for line in open(rss_log) if line.strip()]
totals = [sum(s) for s in samples]
# Resident size at each tenth of the worker's life (start-up, the run, the idle end): flat if
# memory does not grow with the rows sent.
by_tenth = [totals[min(len(totals) - 1, len(totals) * i // 10)] for i in range(11)]
lines = open(os.environ["BENCH_MAIL_LOG"], encoding="utf-8").read().splitlines()
per_email = collections.Counter(lines)
sent = FollowUp.objects.filter(state="sent").count()
report = {
    "date": datetime.date.today().isoformat(),
    "commit": subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip(),
    "rows": rows,
    "pool": pool,
    "processes": concurrency,
    "dispatcher_runs": DispatcherRun.objects.count(),
    "sent_rows": sent,
    "sent_by_dispatchers": runs["sent"],
    "emails_logged": len(lines),
    "distinct_emails": len(per_email),
    "max_sends_of_one_email": max(per_email.values()) if per_email else 0,
    "seconds": round(seconds, 1),
    "rows_per_second": round(sent / seconds) if seconds else None,
    "emails": Message.objects.count(),
    "end_to_end_seconds": round(end_to_end, 1),
    "emails_per_second_end_to_end": round(Message.objects.count() / end_to_end),
    "load_average_after": os.getloadavg(),
    "cpu_while_dispatching": cpu_between(runs["start"], runs["end"]),
    "cpu_end_to_end": cpu_between(runs["start"], last_sent),
    "rows_per_worker_cpu_second_end_to_end": None,
    "worker_rss_kb_sum_by_tenth": by_tenth,
    "worker_rss_kb_sum_peak": max(totals),
    "worker_rss_kb_largest_process_peak": max(max(s) for s in samples),
    "batch": int(os.environ.get("FOLLOWUP_BATCH", "500")),
    "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
    + subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip(),
}
spent = report["cpu_end_to_end"]["worker_cpu_seconds"]
report["rows_per_worker_cpu_second_end_to_end"] = round(sent / spent) if spent else None
os.makedirs("bench/reports", exist_ok=True)
path = f"bench/reports/followups-{report['date']}-{rows}-{pool}{os.environ.get('BENCH_TAG', '')}.json"
with open(path, "w") as out:
    json.dump(report, out, indent=2)
print(json.dumps(report, indent=2))
assert sent == rows == len(lines) == len(per_email), "each row must be sent exactly once"
PY
rm -f "$rss_log" "$cpu_log"
