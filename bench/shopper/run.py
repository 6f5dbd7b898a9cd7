"""The shopper benchmark (issue 18): pages for a shopper with a one-item cart, and a filter
combination nobody asked before on every request.

    .venv/bin/python bench/shopper/run.py --workers 2 [--workers 4] [--label after]

Against the reviews benchmark's data (bench/seed_catalogue.py, then bench/seed_reviews.py: 5,000
reviews on /products/bench-05000/, and `--slug bench-00003 --reviews 3`), already seeded in
--database. Method as the catalogue benchmark's: gunicorn `config.wsgi`, production settings
(DEBUG off), N sync workers, Redis cache (the --redis db, flushed when gunicorn starts),
PostgreSQL through the psycopg pool; wrk -t2 -c8 for --duration after a 3 s warm-up, from a
separate process; the ceiling is a static file of the catalogue page's size served by whitenoise
through the same gunicorn, at the start and at the end of the run (the higher one counts).

Every page is asked with the Cookie of a session whose cart holds one item (a row of
django_session, made here). The never-seen filter run (bench/shopper/fresh_filters.lua) draws
category, size, colour, stock, sort and a max_price per request, after every product card was
put in the cache (as a warm shop has them), so only the page and its grid miss.

CPU taken by other work: /proc/stat's busy ticks during each run minus those of gunicorn, the
database's PostgreSQL backends, redis-server and wrk; with the load average before the run.
Reports: bench/reports/shopper-<UTC date>-<time>-<label>-<workers>w.{json,md}.
"""

import argparse
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench"
HZ = os.sysconf("SC_CLK_TCK")

PAGES = [
    ("catalogue", "/products/", "Catalogue"),
    ("filtered", "/products/?size=M&in_stock=on&sort=price_asc", "Filtered catalogue"),
    ("product_3", "/products/bench-00003/", "Product page, 3 reviews"),
    ("product_5000", "/products/bench-05000/", "Product page, 5,000 reviews"),
]


def environment(args) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SERVE_MEDIA="1",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        REDIS_URL=args.redis,
        VAR_DIR=str(BENCH / "var"),
        LOG_LEVEL="WARNING",
        # Production refuses the console SMS by its short name; nothing is sent in a bench.
        SMS_PROVIDER="messaging.sms.console.ConsoleSms",
        # No beat runs here: /healthz (the readiness probe) must not wait for a dispatcher.
        HEALTHZ_DISPATCHER_MINUTES="1000000",
        PYTHONPATH=str(args.app_root),
    )
    return env


# ---------------------------------------------------------------- CPU accounting
def stat_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    return busy, sum(fields)


def pids(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def process_ticks(pid_list) -> int:
    total = 0
    for pid in pid_list:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(") ", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


class Server:
    def __init__(self, args, env, log):
        self.args, self.env, self.log, self.process = args, env, log, None

    def own_pids(self, redis: bool = True) -> list[int]:
        children = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return [
            self.process.pid,
            *map(int, children),
            *pids(f"postgres: .* {self.args.database} "),
            *(pids("redis-server") if redis else []),
        ]

    def __enter__(self):
        import urllib.request

        import redis

        redis.Redis.from_url(self.args.redis).flushdb()
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                "--chdir",
                str(self.args.app_root),
                "--bind",
                f"127.0.0.1:{self.args.port}",
                "--workers",
                str(self.args.workers),
                "--log-level",
                "warning",
                "--no-control-socket",
            ],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2)  # noqa: S310
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(self.log.read_text()) from None
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer in 30 s")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.args.port}"

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def wrk(server, url: str, duration: str, cookie: str | None, script: Path) -> dict:
    args = ["wrk", "-t2", "-c8", f"-d{duration}", "--timeout", "10s", "-s", str(script)]
    env = dict(os.environ)
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
        env["BENCH_COOKIE"] = cookie
    load = Path("/proc/loadavg").read_text().split()[:3]
    busy0, total0 = stat_ticks()
    own0 = process_ticks(server.own_pids())
    app0 = process_ticks(server.own_pids(redis=False))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True, env=env).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = stat_ticks()
    own1 = process_ticks(server.own_pids())
    app1 = process_ticks(server.own_pids(redis=False))
    wrk_ticks = HZ * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    others = max(0, (busy1 - busy0) - (own1 - own0) - wrk_ticks)
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result.update(
        # Load-independent: CPU of gunicorn and this database's PostgreSQL backends per answer
        # (redis-server is left out: the other sessions share it).
        server_cpu_ms_per_request=round(1000 * (app1 - app0) / HZ / max(1, result["requests"]), 3),
        load_before=" ".join(load),
        others_percent=round(100 * others / max(1, total1 - total0), 1),
        machine_busy_percent=round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        non_2xx=result["errors"]["status"],
    )
    return result


def measure(server, url, duration, cookie, script=BENCH / "wrk_report.lua") -> dict:
    wrk(server, url, "3s", cookie, script)  # warm-up: every worker, every cache
    return wrk(server, url, duration, cookie, script)


# ---------------------------------------------------------------- in-process (Django)
def shopper_cookie() -> str:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from shop.models import Variant

    variant = Variant.objects.filter(is_active=True, stock__gt=10).order_by("pk").first()
    session = SessionStore()
    session["cart"] = {str(variant.pk): 1}
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def query_counts(cookie: str) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, value = cookie.split("=", 1)
    counts = {}
    for page, path, _label in PAGES:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[name] = value
        numbers, body = [], b""
        for attempt in ("cold", "warm"):
            if attempt == "cold":
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            numbers.append(len(captured))
            body = body or response.content
        assert re.search(rb'<span class="cart-count">1</span>', body), path
        counts[page] = {"cold_queries": numbers[0], "warm_queries": numbers[1], "bytes": len(body)}
        if page == "catalogue":
            counts[page]["html"] = body
    cache.clear()
    return counts


def warm_cards() -> int:
    """Every visible product's card in the cache, in the shop's language (what wrk gets)."""
    from django.conf import settings
    from django.utils import translation

    from shop.models import Product

    try:
        from shop.selectors import product_cards
    except ImportError:  # code from before the card cache: nothing to warm
        return 0

    ids = list(Product.objects.visible().values_list("id", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(ids), 500):
            product_cards(ids[start : start + 500])
    return len(ids)


def markdown(report: dict) -> str:
    m, c = report["machine"], report["ceiling"]
    lines = [
        f"Run {report['started']}, {report['label']}, commit `{report['commit']}`, "
        f"{report['workers']} sync workers; figures in `bench/reports/{report['name']}.json`.",
        "",
        f"- **Machine:** {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; PostgreSQL "
        f"{m['postgresql']}, Redis {m['redis']}, Python {m['python']}, Django {m['django']}, "
        f"gunicorn {m['gunicorn']}, {m['wrk']}. wrk, gunicorn, PostgreSQL and Redis share "
        "these CPUs with whatever else runs (its share per run is in the table: *CPU taken by "
        "other work*).",
        f"- **Server:** gunicorn `config.wsgi`, production settings (DEBUG off), "
        f"{report['workers']} sync workers, cache in Redis, PostgreSQL through the psycopg pool.",
        f"- **Load:** wrk -t2 -c8 -d{report['duration']} after a 3 s warm-up; every request "
        "sends the cookie of a session whose cart holds one item.",
        f"- **Ceiling:** a static file of {c['bytes']} bytes (the catalogue page's HTML) through "
        f"the same gunicorn: **{c['rps']:.0f} req/s** (start {c['start']['rps']:.0f}, end "
        f"{c['end']['rps']:.0f}); its server CPU per answer {c['cpu_ms']:.2f} ms.",
        "",
        "| Page | req/s | share of ceiling | p50 / p95 | queries cold / warm | load avg before "
        "| CPU taken by other work | machine busy | server CPU per answer | CPU share "
        "(ceiling's CPU per answer / page's) | non-2xx |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        r = row["result"]
        lines.append(
            f"| {row['label']} `{row['path']}` | {r['rps']:.0f} | "
            f"{100 * r['rps'] / c['rps']:.1f}% | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms | "
            f"{row.get('queries', '-')} | {r['load_before']} | {r['others_percent']}% | "
            f"{r['machine_busy_percent']}% | {r['server_cpu_ms_per_request']:.2f} ms | "
            f"{100 * c['cpu_ms'] / max(r['server_cpu_ms_per_request'], 1e-6):.1f}% | "
            f"{r['non_2xx']} |"
        )
    lines += [
        "",
        "*CPU taken by other work*: busy ticks of the whole machine during the run (/proc/stat) "
        "minus those of gunicorn, this database's PostgreSQL backends, redis-server (shared "
        "with the other sessions, so counted as ours: the figure errs low) and wrk, over all "
        "ticks. *Server CPU per answer*: ticks of gunicorn and this database's PostgreSQL "
        "backends per request (not Redis: shared); "
        "*CPU share* compares it with the ceiling's, a figure the other work moves far less "
        "than req/s. Targets: the four pages at least 25% of the ceiling, the never-seen filter at "
        "least 10%.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="shop_bench_h7")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--port", type=int, default=9700)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--label", default="after")
    parser.add_argument(
        "--app-root", type=Path, default=ROOT, help="the code measured (a copy of another commit)"
    )
    args = parser.parse_args()
    env = environment(args)
    os.environ.update(env)
    sys.path.insert(0, str(args.app_root))
    started = datetime.now(UTC)
    name = f"shopper-{started:%Y-%m-%d-%H%M}-{args.label}-{args.workers}w"
    run_dir = BENCH / "var" / f"run-{name}"
    run_dir.mkdir(parents=True, exist_ok=True)

    import django

    django.setup()
    sys.path.insert(0, str(ROOT))
    from django.core.management import call_command

    from bench.report import command_output, machine

    # The pages name hashed static files: the manifest of the code measured, made here.
    call_command("collectstatic", interactive=False, verbosity=0)

    cookie = shopper_cookie()
    counts = query_counts(cookie)
    ceiling_file = BENCH / "var" / "static" / "bench" / "ceiling.html"
    ceiling_file.parent.mkdir(parents=True, exist_ok=True)
    ceiling_file.write_bytes(counts["catalogue"].pop("html"))
    commit = command_output(["git", "-C", str(args.app_root), "rev-parse", "--short", "HEAD"])
    if commit in ("", "unknown") and (args.app_root / "COMMIT").exists():
        commit = (args.app_root / "COMMIT").read_text().strip()
    report = {
        "name": name,
        "label": args.label,
        "started": started.isoformat(timespec="seconds"),
        "commit": commit,
        "workers": args.workers,
        "duration": args.duration,
        "machine": machine(),
        "rows": [],
    }
    with Server(args, env, run_dir / "gunicorn.log") as server:
        ceiling_url = f"{server.base}/static/bench/ceiling.html"
        print("== ceiling", flush=True)
        start = measure(server, ceiling_url, args.duration, None)
        for page, path, label in PAGES:
            print(f"== {page} {path}", flush=True)
            result = measure(server, server.base + path, args.duration, cookie)
            q = counts[page]
            report["rows"].append(
                {
                    "name": page,
                    "label": label + ", shopper with a one-item cart",
                    "path": path,
                    "queries": f"{q['cold_queries']} / {q['warm_queries']}",
                    "bytes": q["bytes"],
                    "result": result,
                }
            )
            print(f"   {result['rps']:.0f} req/s, p95 {result['p95_ms']:.1f} ms", flush=True)
        print("== cards warmed:", warm_cards(), flush=True)
        print("== never-seen filter every request", flush=True)
        result = measure(
            server,
            server.base + "/products/",
            args.duration,
            cookie,
            BENCH / "shopper" / "fresh_filters.lua",
        )
        report["rows"].append(
            {
                "name": "fresh_filter",
                "label": "A filter combination never asked before, every request (shopper)",
                "path": "/products/?category=…&size=…&colour=…&sort=…&max_price=<random>",
                "result": result,
            }
        )
        print(f"   {result['rps']:.0f} req/s, p95 {result['p95_ms']:.1f} ms", flush=True)
        end = measure(server, ceiling_url, args.duration, None)
    report["ceiling"] = {
        "bytes": ceiling_file.stat().st_size,
        "rps": max(start["rps"], end["rps"]),
        # The cheaper of the two runs' server CPU per answer (as the higher rps counts).
        "cpu_ms": min(start["server_cpu_ms_per_request"], end["server_cpu_ms_per_request"]),
        "start": start,
        "end": end,
    }
    out = BENCH / "reports"
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (out / f"{name}.md").write_text("# Shopper benchmark (issue 18)\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
