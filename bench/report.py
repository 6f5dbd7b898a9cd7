"""Turn one run of bench/run_catalogue.sh into a report: JSON, Markdown, and bench/README.md.

Usage (the run script calls it, with the same environment as the server):

    .venv/bin/python bench/report.py --run-dir bench/var/run-... [--update-readme]

Reads RUN_DIR/manifest.tsv (one line per wrk run), the BENCH_JSON line of each wrk output and
RUN_DIR/queries.json; writes bench/reports/catalogue-<date>.json and .md; with --update-readme,
replaces the text between the results markers in bench/README.md.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

TARGET_SHARE = 0.25
QUERY_LIMIT = 10
START, END = "<!-- results:start -->", "<!-- results:end -->"

# run name -> (label, page whose query counts apply, which count each request costs here,
#              part of the target?)
PAGES = {
    "catalogue": ("Catalogue `/products/`", "catalogue", "warm_queries", True),
    "filtered": (
        "Filtered `/products/?size=M&in_stock=on&sort=price_asc`",
        "filtered",
        "warm_queries",
        True,
    ),
    "product": ("Product `/products/bench-05000/`", "product", "warm_queries", True),
    "catalogue_grid_miss": (
        "Catalogue, a new filter every request (page and grid cache miss)",
        "catalogue",
        "grid_miss_queries",
        False,
    ),
    "filtered_grid_miss": (
        "Filtered, a new filter every request (page and grid cache miss)",
        "filtered",
        "grid_miss_queries",
        False,
    ),
    "product_all_slugs": (
        "Product pages, all 10,000 slugs in turn (page cache misses)",
        "product",
        "other_page_queries",
        False,
    ),
    "catalogue_no_cache": (
        "Catalogue, `CATALOGUE_CACHE_SECONDS=0` (nothing of the catalogue cached)",
        "catalogue",
        "no_cache_queries",
        False,
    ),
    "filtered_no_cache": (
        "Filtered, `CATALOGUE_CACHE_SECONDS=0` (nothing of the catalogue cached)",
        "filtered",
        "no_cache_queries",
        False,
    ),
}
CEILINGS = ("ceiling", "ceiling_end")


def read_runs(run_dir: Path) -> dict:
    runs: dict[str, dict] = {}
    for line in (run_dir / "manifest.tsv").read_text().splitlines():
        fields = (line.split("\t") + [""] * 9)[:9]
        name, kind, url, conns, duration, load, idle, extra_env, others = fields
        text = (run_dir / f"{name}.{kind}.txt").read_text()
        match = re.search(r"^BENCH_JSON (.*)$", text, re.MULTILINE)
        if not match:
            raise SystemExit(f"No BENCH_JSON line in {name}.{kind}.txt")
        result = json.loads(match.group(1))
        result.update(
            url=url,
            connections=int(conns),
            duration=duration,
            load_before=load,
            idle_percent_before=int(idle) if idle.isdigit() else None,
            others_percent_during=int(others) if others.isdigit() else None,
            env=extra_env,
            errors_total=sum(result["errors"].values()),
        )
        runs.setdefault(name, {})[kind] = result
    return runs


def command_output(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict:
    import django

    django.setup()
    import gunicorn
    import psycopg
    import redis
    from django.conf import settings
    from django.db import connection

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    wrk_version = command_output(["wrk", "--version"]).splitlines()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": command_output(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "postgresql": pg_version,
        "redis": redis_version,
        "wrk": wrk_version[0].split(" Copyright")[0] if wrk_version else "unknown",
    }


def min_idle(runs: dict) -> int | None:
    idles = [
        r["idle_percent_before"] for r in runs.values() if r["idle_percent_before"] is not None
    ]
    return min(idles) if idles else None


def max_others(runs: dict) -> int | None:
    others = [
        r["others_percent_during"] for r in runs.values() if r["others_percent_during"] is not None
    ]
    return max(others) if others else None


def git_state(run_dir: Path) -> dict:
    """The commit and uncommitted app files when the run started (as the run script noted)."""
    commit_file, status_file = run_dir / "git-commit", run_dir / "git-status"
    if commit_file.exists() and status_file.exists():
        commit, status = commit_file.read_text().strip(), status_file.read_text()
    else:
        commit = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        status = command_output(["git", "-C", str(ROOT), "status", "--porcelain"])
    changed = [
        line[3:] for line in status.splitlines() if line[3:] and not line[3:].startswith("bench/")
    ]
    return {"commit": commit, "uncommitted_app_files": changed}


def build(run_dir: Path, server: dict, when: datetime) -> dict:
    runs = read_runs(run_dir)
    queries = json.loads((run_dir / "queries.json").read_text())
    ceilings = {name: runs[name] for name in CEILINGS if name in runs}
    # Measured at the start and at the end of the run; the higher one is the ceiling, so the
    # shares are never flattered by a slow ceiling run.
    ceiling_rps = max(c["saturation"]["rps"] for c in ceilings.values())
    pages = {}
    for name, (label, query_page, per_request, in_target) in PAGES.items():
        if name not in runs:
            continue
        sat, lat = runs[name]["saturation"], runs[name]["latency"]
        q = queries[query_page]
        share = sat["rps"] / ceiling_rps
        pages[name] = {
            "label": label,
            "url": sat["url"],
            "env": sat["env"],
            "in_target": in_target,
            "rps_saturation": sat["rps"],
            "share_of_ceiling": round(share, 4),
            "rps_at_8": lat["rps"],
            "p50_ms_at_8": lat["p50_ms"],
            "p95_ms_at_8": lat["p95_ms"],
            "p99_ms_at_8": lat["p99_ms"],
            "cold_queries": q["cold_queries"],
            "warm_queries": q["warm_queries"],
            # Reports of runs before a count existed fall back to the warm count.
            "queries_per_request": q.get(per_request, q["warm_queries"]),
            "html_bytes": q["html_bytes"],
            "errors": sat["errors_total"] + lat["errors_total"],
            "idle_percent_before": min_idle(runs[name]),
            "others_percent_during": max_others(runs[name]),
            "meets_share": share >= TARGET_SHARE,
            "meets_queries": q["cold_queries"] <= QUERY_LIMIT,
            "raw": runs[name],
        }
    targets = [p for p in pages.values() if p["in_target"]]
    return {
        "date": when.isoformat(timespec="seconds"),
        "git": git_state(run_dir),
        "run_dir": str(run_dir.relative_to(ROOT)) if run_dir.is_relative_to(ROOT) else str(run_dir),
        "machine": machine(),
        "server": server,
        "ceiling": {
            "rps_saturation": ceiling_rps,
            "bytes": queries["catalogue"]["html_bytes"],
            "runs": {
                name: {
                    "rps_saturation": c["saturation"]["rps"],
                    "rps_at_8": c["latency"]["rps"],
                    "p50_ms_at_8": c["latency"]["p50_ms"],
                    "p95_ms_at_8": c["latency"]["p95_ms"],
                    "errors": c["saturation"]["errors_total"] + c["latency"]["errors_total"],
                    "idle_percent_before": min_idle(c),
                    "others_percent_during": max_others(c),
                    "raw": c,
                }
                for name, c in ceilings.items()
            },
        },
        "pages": pages,
        "target": {
            "share": TARGET_SHARE,
            "cold_queries": QUERY_LIMIT,
            "met": all(p["meets_share"] and p["meets_queries"] for p in targets),
        },
    }


def _pct(value: int | None) -> str:
    return "?" if value is None else f"{value}%"


def markdown(report: dict) -> str:
    m, s, c, g = report["machine"], report["server"], report["ceiling"], report["git"]
    first = next(iter(c["runs"].values()))["raw"]["saturation"]
    dirty = len(g["uncommitted_app_files"])
    lines = [
        f"Run started {report['date']}, commit `{g['commit']}`"
        + (f" plus {dirty} uncommitted app file(s)" if dirty else "")
        + f"; figures in `bench/reports/{report['name']}.json`, raw wrk output in "
        f"`{report['run_dir']}` (local, git-ignored).",
        "",
        f"- **Machine:** {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, "
        f"{m['os']}, kernel {m['kernel']}; PostgreSQL {m['postgresql']}, Redis {m['redis']}, "
        f"Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, "
        f"psycopg {m['psycopg']}, {m['wrk']}. The load generator, gunicorn, PostgreSQL and "
        "Redis share these CPUs.",
        f"- **Server:** gunicorn `{s['app']}` with config.settings.production (DEBUG off), "
        f"{s['workers']} {s['worker_class']} worker(s) x {s['threads']} thread(s), cache in "
        "Redis, PostgreSQL through Django's psycopg pool, static files by whitenoise.",
        f"- **Load:** wrk, 2 threads, from a separate process on 127.0.0.1; req/s at saturation "
        f"with {first['connections']} connections, p50/p95 latency with 8 connections; each run "
        f"{first['duration']} after a warm-up. No cookies are sent: every request is a first-time "
        "anonymous visitor.",
        f"- **Ceiling:** a static file of {c['bytes']} bytes (the catalogue page's own HTML) "
        "served by whitenoise through the same gunicorn: "
        f"**{c['rps_saturation']:.0f} req/s**, the higher of a run at the start and one at the "
        "end.",
        "",
        "| Page | req/s at saturation | share of ceiling | p50 / p95 at 8 conn. "
        "| queries, cold cache | queries per request in the run | CPU taken by other work | "
        "target met |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, run in c["runs"].items():
        lines.append(
            f"| Ceiling, static file ({'start' if name == 'ceiling' else 'end'} of run) "
            f"| {run['rps_saturation']:.0f} | {run['rps_saturation'] / c['rps_saturation']:.0%} "
            f"| {run['p50_ms_at_8']:.1f} / {run['p95_ms_at_8']:.1f} ms | - | - "
            f"| {_pct(run['others_percent_during'])} | - |"
        )
    for page in report["pages"].values():
        if not page["in_target"]:
            continue
        verdict = "yes" if page["meets_share"] and page["meets_queries"] else "**no**"
        lines.append(
            f"| {page['label']} | {page['rps_saturation']:.0f} "
            f"| {page['share_of_ceiling']:.0%} "
            f"| {page['p50_ms_at_8']:.1f} / {page['p95_ms_at_8']:.1f} ms "
            f"| {page['cold_queries']} | {page['queries_per_request']} "
            f"| {_pct(page['others_percent_during'])} | {verdict} |"
        )
    lines += [
        "",
        "Cache misses, measured in the same run (not part of the target):",
        "",
        "| Case | req/s at saturation | share of ceiling | p50 / p95 at 8 conn. "
        "| queries per request | CPU taken by other work |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page in report["pages"].values():
        if page["in_target"]:
            continue
        lines.append(
            f"| {page['label']} | {page['rps_saturation']:.0f} "
            f"| {page['share_of_ceiling']:.0%} "
            f"| {page['p50_ms_at_8']:.1f} / {page['p95_ms_at_8']:.1f} ms "
            f"| {page['queries_per_request']} | {_pct(page['others_percent_during'])} |"
        )
    errors = sum(p["errors"] for p in report["pages"].values()) + sum(
        r["errors"] for r in c["runs"].values()
    )
    t = report["target"]
    lines += [
        "",
        "*CPU taken by other work*: the share of the machine's CPU time, during the worse of the "
        "two runs of that row, spent neither by the server side (gunicorn, the shop_bench "
        "PostgreSQL backends, Redis) nor by wrk: other programs on the machine. Where it is "
        "high, that row's figures are low.",
        "",
        f"Target (each of the three pages at least {t['share']:.0%} of the ceiling and at most "
        f"{t['cold_queries']} queries on a cold cache): **{'met' if t['met'] else 'not met'}**. "
        f"Socket errors, timeouts and non-2xx answers over all runs: {errors}"
        + (" (**the figures are not valid**)." if errors else "."),
    ]
    return "\n".join(lines) + "\n"


def update_readme(text: str, start: str = START, end: str = END) -> None:
    """Replace the text between two markers of bench/README.md (each benchmark has its own)."""
    readme = BENCH / "README.md"
    content = readme.read_text()
    if start not in content or end not in content:
        raise SystemExit(f"{readme} lacks the {start} / {end} markers")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{text}{end}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--workers", default="?")
    parser.add_argument("--worker-class", default="?")
    parser.add_argument("--threads", default="?")
    parser.add_argument("--app", default="config.wsgi")
    parser.add_argument("--name", help="report file name (default catalogue-<UTC date>)")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    # The run directory is named after the run's start, in UTC: the report's date.
    try:
        when = datetime.strptime(args.run_dir.name, "run-%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        when = datetime.now(UTC)
    server = {
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads,
        "app": args.app,
    }
    name = args.name or f"catalogue-{when:%Y-%m-%d-%H%M}"
    report = build(args.run_dir.resolve(), server, when)
    report["name"] = name
    out = BENCH / "reports"
    out.mkdir(exist_ok=True)
    stem = out / name
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    stem.with_suffix(".md").write_text("# Catalogue benchmark\n\n" + text)
    if args.update_readme:
        update_readme(text)
    print(text)
    print(f"Written: {stem.with_suffix('.json')}, {stem.with_suffix('.md')}")


if __name__ == "__main__":
    main()
