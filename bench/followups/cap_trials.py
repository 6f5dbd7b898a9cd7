"""The trials of bench/followups/cap_fan_out.sh (which sets up the worker, Redis and database).

Each trial starts from empty tables: BENCH_BACKLOG due follow-ups on as many orders (one
address each), and 6 "was this solved?" questions to one address, spread through the backlog
so that both dispatchers' batches hold some; then one dispatch_follow_ups, as beat sends it,
and a wait until every row is decided and every email sent. Her emails are counted twice: the
messages queued to her and the emails the backend wrote for her.
"""

import collections
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.followups.backlog import due_backlog, questions_to, spread_due  # noqa: E402
from followups.models import DispatcherRun, FollowUp  # noqa: E402
from followups.tasks import dispatch_follow_ups  # noqa: E402
from messaging.models import Message  # noqa: E402
from shop.models import ShopProfile  # noqa: E402

MEI = "mei@example.com"
TABLES = (
    "reviews_followup, reviews_dispatcherrun, messaging_message, orders_orderline, "
    "orders_orderevent, orders_order, support_ticketmessage, support_ticket"
)


def wait_until_done(timeout: float = 300) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            not FollowUp.objects.filter(state__in=["planned", "sending"]).exists()
            and not Message.objects.filter(state__in=["queued", "sending"]).exists()
            and not DispatcherRun.objects.filter(finished_at=None).exists()
            and DispatcherRun.objects.exists()
        ):
            return True
        time.sleep(0.2)
    return False


def trial(n: int, backlog: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")  # noqa: S608 - constants
    open(os.environ["BENCH_MAIL_LOG"], "w").close()
    due_backlog(backlog, tag="cap")
    questions_to(MEI)
    spread_due(MEI)
    started = time.monotonic()
    dispatch_follow_ups.delay()  # as beat sends it
    done = wait_until_done()
    seconds = time.monotonic() - started
    subjects = set(
        Message.objects.filter(recipient=MEI, kind__startswith="followup.").values_list(
            "subject", flat=True
        )
    )
    lines = open(os.environ["BENCH_MAIL_LOG"], encoding="utf-8").read().splitlines()
    received = collections.Counter(lines)
    states = collections.Counter(FollowUp.objects.filter(email=MEI).values_list("state", flat=True))
    return {
        "trial": n,
        "done": done,
        "seconds": round(seconds, 1),
        "her_messages": Message.objects.filter(recipient=MEI, kind__startswith="followup.").count(),
        "her_emails_received": sum(
            count
            for line, count in received.items()
            if line.split("\t")[0] == MEI and line.split("\t", 1)[1] in subjects
        ),
        "her_rows": dict(states),
        "dispatcher_runs": list(
            DispatcherRun.objects.order_by("started_at").values_list("claimed", flat=True)
        ),
        "rows_sent": FollowUp.objects.filter(state="sent").count(),
        "emails_received": len(lines),
    }


def main(trials: int) -> None:
    backlog = int(os.environ.get("BENCH_BACKLOG", "1500"))
    ShopProfile.load()
    time.sleep(3)  # the worker starts
    results = []
    for n in range(1, trials + 1):
        results.append(trial(n, backlog))
        print(json.dumps(results[-1]))  # noqa: T201
    cap = settings.FOLLOWUP_CAP
    over = [r["trial"] for r in results if max(r["her_messages"], r["her_emails_received"]) > cap]
    now = datetime.datetime.now(datetime.UTC)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "trials": trials,
        "backlog": backlog,
        "her_due": 6,
        "cap": cap,
        "dispatchers": settings.FOLLOWUP_DISPATCHERS,
        "batch": settings.FOLLOWUP_BATCH,
        "trials_over_the_cap": len(over),
        "most_emails_to_her": max(
            max(r["her_messages"], r["her_emails_received"]) for r in results
        ),
        "trials_with_two_dispatchers": sum(len(r["dispatcher_runs"]) >= 2 for r in results),
        "all_done": all(r["done"] for r in results),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "results": results,
    }
    stem = ROOT / "bench" / "reports" / f"followups-cap-{now:%Y-%m-%d-%H%M}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    rows = "\n".join(
        f"| {r['trial']} | {r['her_messages']} | {r['her_emails_received']} | "
        f"{r['her_rows'].get('sent', 0)} / {r['her_rows'].get('skipped', 0)} | "
        f"{', '.join(map(str, r['dispatcher_runs']))} | {r['seconds']} |"
        for r in results
    )
    stem.with_suffix(".md").write_text(
        f"# The cap under the default fan-out, {report['date']} ({report['commit']})\n\n"
        f"{trials} trials; {backlog} other due rows; 6 due to one address; cap {cap}; "
        f"{report['dispatchers']} dispatchers, batches of {report['batch']}.\n\n"
        f"**Trials over the cap: {len(over)} of {trials}** (most emails to her: "
        f"{report['most_emails_to_her']}).\n\n"
        "| trial | her messages | her emails received | her rows sent / skipped "
        "| rows claimed per dispatcher run | seconds |\n|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )
    print(json.dumps({k: v for k, v in report.items() if k != "results"}, indent=2))  # noqa: T201
    print(f"wrote {stem}.json and .md")  # noqa: T201
    assert report["all_done"] and not over, "the cap must hold in every trial"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
