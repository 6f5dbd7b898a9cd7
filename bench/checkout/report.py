"""Turn one run of bench/checkout/run.sh into a report: JSON, Markdown, bench/README.md.

Usage (the run script calls it): report.py --run-dir DIR --orders N --workers W
--contention-workers C [--no-readme]
"""

import argparse
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.report import command_output, machine, update_readme  # noqa: E402

START, END = "<!-- checkout:start -->", "<!-- checkout:end -->"


def bench_json(path: Path) -> dict:
    match = re.search(r"^BENCH_JSON (.*)$", path.read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"No BENCH_JSON line in {path}")
    return json.loads(match.group(1))


def other_work(report: dict) -> str:
    o = report.get("other_work")
    if not o:
        return ""
    return (
        f"| CPU taken by other work (not gunicorn, the worker, this database's PostgreSQL, "
        f"Redis or the buyers) | {o['others_percent']}% of the machine "
        f"(machine busy {o['machine_busy_percent']}%) |\n"
        f"| load average before -> after | {' '.join(o['load_before'])} -> "
        f"{' '.join(o['load_after'])} |\n"
        f"| busiest other processes | {'; '.join(o['top_others']) or 'none'} |\n"
    )


def markdown(report: dict) -> str:
    t, c, m = report["throughput"], report["contention"], report["machine"]
    emails_ok = report["emails_sent"] == report["orders_made"]
    return f"""Run {report["started"]}, commit `{report["commit"]}`; figures in `bench/reports/{report["name"]}.json`.

- **Machine:** {m["cpus"]} CPUs ({m["cpu_model"]}), {m["memory_gib"]} GiB; PostgreSQL {m["postgresql"]}, Redis {m["redis"]}, Python {m["python"]}, Django {m["django"]}, gunicorn {m["gunicorn"]}. Buyers, gunicorn, the Celery worker, PostgreSQL and Redis share these CPUs.
- **Server:** gunicorn `config.wsgi`, production settings, {report["workers"]} sync workers; one Celery worker (solo pool, Redis broker) sending each confirmation email (text and HTML built, written to a file instead of SMTP).
- **Data:** the 10,000-product catalogue seed (`bench/seed_catalogue.py`), 2,000 variants stocked up for the throughput run.

| Throughput run | Figure |
|---|---:|
| buyers (threads, each checkout a fresh session) | {t["buyers"]} |
| measured | {t["seconds"]:.0f} s after a {t["warmup_seconds"]:.0f} s warm-up |
| **orders per second** | **{t["orders_per_second"]}** ({t["orders_measured"]} orders) |
| HTTP requests per second (5 per checkout) | {t["requests_per_second"]} |
| whole checkout (product page, add to cart, checkout form, place order, thanks page), p50 / **p95** | {t["checkout_p50_ms"]} / **{t["checkout_p95_ms"]} ms** |
| the POST that places the order, p50 / **p95** / max | {t["place_order_p50_ms"]} / **{t["place_order_p95_ms"]}** / {t["place_order_max_ms"]} ms |
| failed checkouts | {t["errors"]} |
| CPU used by the buyers' process | {t["client_cpu_seconds"]} s of {t["seconds"] + t["warmup_seconds"]:.0f} s |
{other_work(report)}
| Contention run ({report["contention_workers"]} gunicorn workers) | Figure |
|---|---:|
| buyers placing their order at the same moment | {c["buyers"]} |
| units in stock before | {c["stock_before"]} |
| answers "order placed" | **{c["orders_placed_answers"]}** |
| answers "just sold out" | {c["sold_out_answers"]} |
| other answers | {c["other_answers"]} |
| order lines in the database for the variant | {c["order_lines_in_database"]} |
| units sold / stock after | {c["units_sold"]} / {c["stock_after"]} |
| **oversold units** | **{c["oversold_units"]}** |
| all 50 answers within | {c["seconds_for_all_answers"]} s |

Confirmation emails sent by the worker: {report["emails_sent"]} for {report["orders_made"]} orders placed in the run ({"one each" if emails_ok else "MISMATCH"}). Contention exact (10 orders, 40 sold-out answers, stock 0): **{"yes" if c["exact"] else "NO"}**.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--contention-workers", type=int, required=True)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    run_dir = Path(args.run_dir)
    started = datetime.strptime(run_dir.name.removeprefix("checkout-"), "%Y%m%d-%H%M%S")
    name = "checkout-" + started.strftime("%Y-%m-%d-%H%M")
    mail_lines = (run_dir / "mail.log").read_text().splitlines()
    report = {
        "name": name,
        "started": started.replace(tzinfo=UTC).isoformat(),
        "commit": command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "machine": machine(),
        "workers": args.workers,
        "contention_workers": args.contention_workers,
        "throughput": bench_json(run_dir / "throughput.txt"),
        "contention": bench_json(run_dir / "contention.txt"),
        "orders_made": args.orders,
        "emails_sent": len(mail_lines),
        "emails_distinct": len(set(mail_lines)),
        "other_work": json.loads((run_dir / "others.json").read_text())
        if (run_dir / "others.json").exists()
        else None,
    }
    reports = ROOT / "bench" / "reports"
    (reports / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (reports / f"{name}.md").write_text(f"# Checkout benchmark\n\n{text}")
    if not args.no_readme:
        update_readme(text, START, END)
    print(text)
    if not report["contention"]["exact"] or report["contention"]["oversold_units"]:
        raise SystemExit("The contention run did not end exactly: see the report.")


if __name__ == "__main__":
    main()
