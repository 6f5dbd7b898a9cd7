"""Page benchmarks for the reviews and support issues, with the foundation benchmark's method.

    .venv/bin/python bench/run_pages.py reviews   # product with 5,000 reviews, catalogue by rating
    .venv/bin/python bench/run_pages.py support   # inbox and ticket page, 50,000 tickets

Options: --skip-seed (reuse the seeded database), --duration 15s, --no-readme.

reviews: the database shop_bench with the 10,000-product seed (bench/seed_catalogue.py, run
first when the database is missing), then bench/seed_reviews.py puts 5,000 reviews on
/products/bench-05000/. support: the database shop_bench_support, recreated, seeded by
bench/seed_tickets.py (50,000 tickets, 300,000 messages), pages seen by a signed-in Support user.

For each page: SQL queries on a cold cache (the whole bench Redis db cleared) and then warm,
through django.test.Client with the same cookies the load run sends; then, against gunicorn
(config.settings.production, 4 sync workers, Redis cache, PostgreSQL), wrk from a separate
process: a 3 s warm-up, requests/s at 32 connections, p50/p95 at 8 connections (wrk's own
histogram, bench/wrk_report.lua). The ceiling is a static file of the first page's size served by
whitenoise through the same gunicorn. Reports: bench/reports/<suite>-<date>-<time>.{json,md},
and the suite's section of bench/README.md.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
QUERY_LIMIT = 10
HTMX = {"HX-Request": "true", "HX-Target": "review-list"}

SUITES = {
    "reviews": {
        "database": "shop_bench",
        "title": "Reviews: a product with 5,000 reviews, the catalogue sorted by rating",
        # name, path, who (anonymous, visitor = a session cookie, staff), extra headers, label
        "pages": [
            ("product", "/products/bench-05000/", "anonymous", {}, "Product with 5,000 reviews"),
            (
                "product_session",
                "/products/bench-05000/",
                "visitor",
                {},
                "The same, visitor with a session (page rendered each time)",
            ),
            (
                "review_list",
                "/products/bench-05000/?sort=lowest&page=40",
                "visitor",
                HTMX,
                "Its review list, sorted lowest first, page 40 (htmx fragment)",
            ),
            (
                "review_list_stars",
                "/products/bench-05000/?stars=1&photos=on",
                "visitor",
                HTMX,
                "Its review list, one star with photos (htmx fragment)",
            ),
            ("catalogue_rating", "/products/?sort=rating", "anonymous", {}, "Catalogue by rating"),
            (
                "catalogue_rating_session",
                "/products/?sort=rating",
                "visitor",
                {},
                "The same, visitor with a session (page rendered each time)",
            ),
        ],
    },
    "support": {
        "database": "shop_bench_support",
        "title": "Support: the inbox and a ticket page with 50,000 tickets, 300,000 messages",
        "pages": [],  # filled in from the seed's sample (ticket ids differ per seed)
    },
}


def environment(database: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SERVE_MEDIA="1",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        REDIS_URL="redis://127.0.0.1:6379/5",
        VAR_DIR=str(BENCH / "var"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        # Production refuses the console SMS provider by name; a bench sends nothing, on purpose.
        SMS_PROVIDER="messaging.sms.console.ConsoleSms",
    )
    return env


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    print("   $", " ".join(args), flush=True)
    return subprocess.run(args, check=True, cwd=ROOT, **kw)


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-tAq", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def database_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608


def seed(suite: str) -> dict:
    """Seed the suite's data; returns what the seed printed as its sample (support)."""
    database = SUITES[suite]["database"]
    if suite == "reviews":
        if (
            not database_exists(database)
            or psql("SELECT count(*) FROM shop_product", database) != "10000"
        ):
            psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            psql(f"CREATE DATABASE {database}")
            run([PY, "manage.py", "migrate", "-v0"])
            run([PY, "bench/seed_catalogue.py"])
        run([PY, "manage.py", "migrate", "-v0"])
        run([PY, "bench/seed_reviews.py", "--reviews", "5000"])
        return {}
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    run([PY, "manage.py", "migrate", "-v0"])
    run([PY, "bench/seed_catalogue.py", "--products", "200"])
    out = run([PY, "bench/seed_tickets.py", "--print-sample"], capture_output=True, text=True)
    print(out.stdout)
    return sample_from(out.stdout)


def sample_from(text: str) -> dict:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("seed_tickets.py printed no sample line")


# --------------------------------------------------------------------- in-process (Django)
def django_setup():
    import django

    django.setup()


def support_pages(sample: dict) -> list:
    from django.urls import reverse

    inbox = reverse("support_manage:ticket_list")
    pages = [
        ("inbox_open", f"{inbox}?view=open", "staff", {}, "Inbox, open"),
        ("inbox_unassigned", f"{inbox}?view=unassigned", "staff", {}, "Inbox, unassigned"),
        ("inbox_mine", f"{inbox}?view=mine", "staff", {}, "Inbox, mine"),
        ("inbox_overdue", f"{inbox}?view=overdue", "staff", {}, "Inbox, overdue"),
        ("inbox_resolved", f"{inbox}?view=resolved", "staff", {}, "Inbox, resolved"),
        (
            "inbox_search",
            sample["search"][1],
            "staff",
            {},
            "Inbox, search by email",
        ),
        (
            "inbox_poll",
            f"{inbox}?view=open",
            "staff",
            {"HX-Request": "true", "HX-Target": "inbox", "HX-Trigger": "inbox"},
            "Inbox, open, the htmx poll (list fragment)",
        ),
        (
            "ticket",
            sample["sample_ticket"]["path"],
            "staff",
            {},
            "Ticket page (thread, order, customer's history)",
        ),
    ]
    return pages


def cookies_for(who: str, staff_email: str | None) -> dict:
    """Cookies a client of this kind sends: none, a visitor's session, a signed-in session."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    if who == "anonymous":
        return {}
    if who == "visitor":
        session = SessionStore()
        session["cart"] = {}
        session.create()
        return {settings.SESSION_COOKIE_NAME: session.session_key}
    client = Client()
    client.force_login(get_user_model().objects.get(email=staff_email))
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def count_queries(pages: list, cookies: dict) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, path, who, headers, _label in pages:
        client = Client(HTTP_HOST="127.0.0.1", headers=headers)
        for key, value in cookies[who].items():
            client.cookies[key] = value
        counts, body = [], b""
        for attempt in ("cold", "warm"):
            if attempt == "cold":
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code} to a {who} client")
            counts.append(len(captured))
            body = body or response.content
        results[name] = {"cold_queries": counts[0], "warm_queries": counts[1], "bytes": len(body)}
        print(f"   {name:26} cold {counts[0]:2}, warm {counts[1]:2} queries, {len(body)} bytes")
        if name == pages[0][0]:
            results[name]["html"] = body
    cache.clear()
    return results


# --------------------------------------------------------------------- load
def wrk(url: str, connections: int, duration: str, headers: dict) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--timeout", "10s"]
    args += ["-s", str(BENCH / "wrk_report.lua")]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["non_2xx"] = result["errors"]["status"]
    return result


def wait_for_quiet(idle_min: int = 80, wait_max: int = 20) -> int:
    def idle() -> int:
        a = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        time.sleep(1)
        b = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        d = [y - x for x, y in zip(a, b, strict=True)]
        return 100 * (d[3] + d[4]) // max(1, sum(d))

    value = idle()
    for _ in range(wait_max):
        if value >= idle_min:
            break
        value = idle()
    return value


def measure(url: str, headers: dict, duration: str) -> dict:
    wrk(url, 8, "3s", headers)  # warm-up
    idle = wait_for_quiet()
    saturation = wrk(url, 32, duration, headers)
    latency = wrk(url, 8, duration, headers)
    return {"idle_percent_before": idle, "saturation": saturation, "latency": latency}


class Server:
    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.process = env, log, None

    def __enter__(self):
        import urllib.request

        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                "--chdir",
                str(ROOT),
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                "4",
                "--log-level",
                "warning",
            ],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=2)  # noqa: S310
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(self.log.read_text()) from None
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer in 20 s")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=20)


# --------------------------------------------------------------------- report
def markdown(report: dict) -> str:
    m = report["machine"]
    ceiling = report["ceiling"]["saturation"]["rps"]
    rows = [
        f"Run {report['started']}, commit `{report['commit']}`; figures in "
        f"`bench/reports/{report['name']}.json`.",
        "",
        f"- **Machine:** {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; PostgreSQL "
        f"{m['postgresql']}, Redis {m['redis']}, Python {m['python']}, Django {m['django']}, "
        f"gunicorn {m['gunicorn']}, {m['wrk']}. Load generator, gunicorn, PostgreSQL and Redis "
        "share these CPUs.",
        "- **Server:** gunicorn `config.wsgi`, production settings, 4 sync workers, cache in "
        "Redis, PostgreSQL through the psycopg pool.",
        f"- **Data:** {report['data']}",
        f"- **Ceiling:** a static file of {report['ceiling']['bytes']} bytes (the first page's "
        f"HTML) through the same gunicorn: **{ceiling:.0f} req/s**.",
        f"- **Load:** wrk, 2 threads; req/s at 32 connections, p50/p95 at 8 connections, "
        f"{report['duration']} each after a 3 s warm-up.",
        "",
        "| Page | Client | req/s | share of ceiling | p50 / p95 at 8 conn. | queries cold / warm "
        "| bytes | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page in report["pages"]:
        s, lat = page["saturation"], page["latency"]
        rows.append(
            f"| {page['label']} `{page['path']}` | {page['who']} | {s['rps']:.0f} | "
            f"{100 * s['rps'] / ceiling:.0f}% | {lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} ms | "
            f"{page['cold_queries']} / {page['warm_queries']} | {page['bytes']} | "
            f"{s['non_2xx'] + lat['non_2xx']} |"
        )
    worst = max(p["cold_queries"] for p in report["pages"])
    if report["suite"] == "reviews":
        verdict = (
            f"Most queries of any page on a cold cache: **{worst}** (limit {QUERY_LIMIT}: "
            f"**{'met' if worst <= QUERY_LIMIT else 'NOT met'}**)."
        )
    else:
        verdict = (
            "Queries per view: the same with 50,000 tickets as in the tests with a handful "
            "(`test_inbox_and_ticket_page_query_counts_do_not_grow_with_the_data`)."
        )
    rows += [
        "",
        f"{verdict} Clients: *anonymous* sends no cookie (a first-time visitor: the page "
        "cache answers); *visitor* sends a session cookie (a cart: the page is rendered every "
        "time, its parts cached); *staff* is a signed-in Support user (staff pages are "
        "rendered every time; the inbox header's counts are cached until a ticket changes).",
        "",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", choices=SUITES)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    suite = SUITES[args.suite]
    env = environment(suite["database"])
    os.environ.update(env)
    started = datetime.now(UTC)
    name = f"{args.suite}-{started:%Y-%m-%d-%H%M}"
    run_dir = BENCH / "var" / f"run-{name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    sample_file = run_dir.parent / f"{args.suite}-sample.json"

    print(f"== {suite['title']}")
    if args.skip_seed:
        sample = json.loads(sample_file.read_text()) if sample_file.exists() else {}
    else:
        sample = seed(args.suite)
        sample_file.write_text(json.dumps(sample))
    run([PY, "manage.py", "migrate", "-v0"])
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"])

    django_setup()
    from django.core.cache import cache

    from bench.report import command_output, machine, update_readme

    pages = suite["pages"] or support_pages(sample)
    staff_email = sample.get("login", {}).get("email")
    if args.suite == "reviews":
        from reviews.models import Review

        data = (
            f"the 10,000-product catalogue seed; /products/bench-05000/ has "
            f"{Review.objects.filter(product__slug='bench-05000').count()} reviews "
            "(bench/seed_reviews.py: about 1% hidden for policy, 10% with photos, 5% replied)."
        )
    else:
        from support.models import Ticket, TicketMessage

        data = (
            f"{Ticket.objects.count()} tickets, {TicketMessage.objects.count()} messages "
            "(bench/seed_tickets.py), 200 products."
        )
    print("== queries per page (cold, then warm)")
    cache.clear()
    cookies = {who: cookies_for(who, staff_email) for who in {p[2] for p in pages}}
    counts = count_queries(pages, cookies)
    ceiling_file = BENCH / "var" / "static" / "bench" / "ceiling.html"
    ceiling_file.parent.mkdir(parents=True, exist_ok=True)
    ceiling_file.write_bytes(counts[pages[0][0]].pop("html"))

    report = {
        "name": name,
        "suite": args.suite,
        "started": started.isoformat(timespec="seconds"),
        "commit": command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "machine": machine(),
        "data": data,
        "duration": args.duration,
        "pages": [],
    }
    cache.clear()
    with Server(env, run_dir / "gunicorn.log"):
        # Sessions live in PostgreSQL, so the cookies made above stay valid.
        print("== ceiling")
        report["ceiling"] = measure(f"{BASE}/static/bench/ceiling.html", {}, args.duration)
        report["ceiling"]["bytes"] = ceiling_file.stat().st_size
        for page_name, path, who, headers, label in pages:
            print(f"== {page_name} {path} ({who})")
            cookie = "; ".join(f"{k}={v}" for k, v in cookies[who].items())
            sent = {**headers, **({"Cookie": cookie} if cookie else {})}
            result = measure(BASE + path, sent, args.duration)
            print(
                f"   {result['saturation']['rps']:.0f} req/s, p95 {result['latency']['p95_ms']:.1f}"
                f" ms, non-2xx {result['saturation']['non_2xx'] + result['latency']['non_2xx']}"
            )
            report["pages"].append(
                {"name": page_name, "path": path, "who": who, "label": label}
                | counts[page_name]
                | result
            )
    reports = BENCH / "reports"
    (reports / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (reports / f"{name}.md").write_text(f"# {suite['title']}\n\n{text}")
    if not args.no_readme:
        update_readme(text, f"<!-- {args.suite}:start -->", f"<!-- {args.suite}:end -->")
    print(text)


if __name__ == "__main__":
    main()
