"""Turn one run of bench/redis_faults/run.sh into a report: JSON, Markdown, bench/README.md.

Usage (the run script calls it, with Redis and PostgreSQL still up): report.py --run-dir DIR
[--no-readme]
"""

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.report import command_output, machine, update_readme  # noqa: E402

START, END = "<!-- redis-faults:start -->", "<!-- redis-faults:end -->"
SHOP_KINDS = ("catalogue", "product page", "cart add", "checkout form", "place order")
TITLES = {
    "up": "Redis up (before)",
    "stop": "**Redis stopped**",
    "back": "Redis back (empty)",
    "freeze": "**Redis frozen**",
    "after": "Redis up (after)",
}


def targets(load: dict) -> dict:
    freeze = load["by_phase"].get("freeze", {}).get("all", {})
    placed_in_faults = sum(
        load["by_phase"].get(phase, {}).get("place order", {}).get("succeeded", 0)
        for phase in ("stop", "freeze")
    )
    sent = load["messages"].get("sent", 0)
    return {
        "no_server_errors": load["server_errors"] == 0,
        "orders_during_faults": placed_in_faults,
        "freeze_p99_ms": freeze.get("p99_ms"),
        "freeze_p99_under_1s": (freeze.get("p99_ms") or 0) < 1000,
        "healthz_max_ms": max(h["max_ms"] for h in load["healthz"].values()),
        "every_email_once": sent == load["messages_total"]
        and load["emails_written"] == sent == load["emails_distinct"],
        "orders_match": load["orders_placed_answers"] == load["orders_in_database"],
    }


def markdown(report: dict) -> str:
    load, m, t = report["load"], report["machine"], report["targets"]
    seconds = {s["phase"]: s["seconds"] for s in load["schedule"]}
    rows = []
    for phase, figures in load["by_phase"].items():
        a = figures["all"]
        health = load["healthz"][phase]
        placed = figures.get("place order", {}).get("succeeded", 0)
        rows.append(
            f"| {TITLES.get(phase, phase)} | {seconds[phase]:.0f} s | {a['requests']} | "
            f"**{a['server_errors']}** | {placed} | {a['p50_ms']} / **{a['p99_ms']}** / "
            f"{a['max_ms']} ms | {', '.join(map(str, health['status']))} in at most "
            f"{health['max_ms']:.0f} ms |"
        )
    freeze = load["by_phase"].get("freeze", {})
    kinds = [
        f"| {kind} | {freeze[kind]['requests']} | {freeze[kind]['server_errors']} | "
        f"{freeze[kind]['p50_ms']} / **{freeze[kind]['p99_ms']}** / {freeze[kind]['max_ms']} ms |"
        for kind in SHOP_KINDS + ("thanks page", "owner page", "owner ships", "owner delivers")
        if kind in freeze
    ]
    states = ", ".join(f"{n} {state}" for state, n in sorted(load["messages"].items()))
    return f"""Run {report["started"]}, commit `{report["commit"]}`; figures in `bench/reports/{report["name"]}.json`.

- **Machine:** {m["cpus"]} CPUs ({m["cpu_model"]}), {m["memory_gib"]} GiB; PostgreSQL {m["postgresql"]}, Redis {m["redis"]}, Python {m["python"]}, Django {m["django"]}, gunicorn {m["gunicorn"]}. The load, gunicorn, the worker, PostgreSQL and Redis share these CPUs.
- **Server:** the Procfile's processes on production settings: gunicorn `config.wsgi` (4 sync workers, no control socket), a Celery worker (prefork, 2 processes), beat; PostgreSQL; one redis-server of the bench's own as cache and broker, without persistence. Every email is built and written to a file instead of SMTP.
- **Load** (bounded): 2 browsers (catalogue and product pages, about 8 requests/s each), 2 buyers (whole checkouts one after another, each on a fresh session and client address, one in four of a variant with a few units left, whose order bumps the catalogue cache), the owner shipping and delivering one order a second, /healthz every 2 s.

| Phase | length | requests | server errors | orders placed | p50 / **p99** / max | /healthz |
|---|---:|---:|---:|---:|---:|---|
{chr(10).join(rows)}

During the freeze, by request:

| Request | count | server errors | p50 / **p99** / max |
|---|---:|---:|---:|
{chr(10).join(kinds)}

Orders: {load["orders_placed_answers"]} answered "placed", {load["orders_in_database"]} in the database ({"the same" if t["orders_match"] else "MISMATCH"}), {load["orders_delivered"]} delivered by the owner, {load["low_stock_orders"]} of a variant with a few units left (each bumps the catalogue cache after commit). Messages of the run: {load["messages_total"]} ({states}), emails written {load["emails_written"]}, distinct {load["emails_distinct"]}; all sent {load["drain_seconds"]:.0f} s after the load stopped.

Targets: 0 server errors on the catalogue, product pages, cart and checkout, orders going through during both faults: **{"met" if t["no_server_errors"] and t["orders_during_faults"] else "NOT met"}** ({load["server_errors"]} server errors, {t["orders_during_faults"]} orders placed while Redis was stopped or frozen). p99 under 1 s during the freeze: **{"met" if t["freeze_p99_under_1s"] else "NOT met"}** ({t["freeze_p99_ms"]} ms). /healthz within 2 s: **{"met" if t["healthz_max_ms"] < 2000 else "NOT met"}** (at most {t["healthz_max_ms"]:.0f} ms). Every email of the outage sent once afterwards: **{"met" if t["every_email_once"] else "NOT met"}**.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    run_dir = Path(args.run_dir)
    match = re.search(r"^BENCH_JSON (.*)$", (run_dir / "load.txt").read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"No BENCH_JSON line in {run_dir / 'load.txt'}")
    load = json.loads(match.group(1))
    started = datetime.strptime(run_dir.name.removeprefix("redis-faults-"), "%Y%m%d-%H%M%S")
    name = "redis-faults-" + started.strftime("%Y-%m-%d-%H%M")
    report = {
        "name": name,
        "started": started.replace(tzinfo=UTC).isoformat(),
        # BENCH_COMMIT: the commit a copy of the tree without .git was made from.
        "commit": os.environ.get("BENCH_COMMIT")
        or command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "machine": machine(),
        "load": load,
        "targets": targets(load),
    }
    text = markdown(report)
    reports = ROOT / "bench" / "reports"
    (reports / f"{name}.md").write_text(f"# Redis faults\n\n{text}")
    (reports / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_readme:
        update_readme(text, START, END)
    print(text)


if __name__ == "__main__":
    main()
