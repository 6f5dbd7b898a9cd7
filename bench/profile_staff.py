"""The staff pages' cost in process: CPU ms per request and queries, on a hit and on a miss.

    BENCH_DATABASE=shop_st_bench BENCH_REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/profile_staff.py [-n 30] [--only inbox ticket] [--profile ticket]

The same pages, users and production settings as bench/run_staff.py (run it once first: it
seeds the database and writes the sample this script reads), through django.test.Client with
the bench's session cookies, so the middleware, the session, the auth and the cache all run as
under gunicorn. Per page:

- *hit*: a repeat request (nothing changed since the last one), CPU ms (time.process_time of
  this process: the view and the templates; PostgreSQL's and Redis's own CPU are not in it)
  over N requests, and the queries of one;
- *miss*: the same request right after a ticket changed (the support inbox version bumped,
  as support.receivers does on every ticket or message change; for the dashboard and the
  reputation page the orders and reviews versions too), so the page is computed again;
- *cold*: after the cache was cleared (every figure computed again).

`--profile NAME` prints cProfile's top functions (by cumulative time) for that page's hit and
miss paths. The Redis db is the bench's (flushed by the bench anyway).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run_staff  # noqa: E402


def bump_all() -> None:
    """What a change to a ticket, an order and a review does to the cached staff pages."""
    from orders.receivers import ORDERS_VERSION
    from reviews.receivers import REVIEWS_VERSION
    from shop.cache import bump_version
    from support.selectors import bump_inbox_version

    bump_inbox_version()
    bump_version(ORDERS_VERSION)
    bump_version(REVIEWS_VERSION)


def client_for(cookie: str):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    key, value = cookie.split("=", 1)
    client.cookies[key] = value
    return client


def get(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def measure(client, path: str, n: int, before=None) -> float:
    """CPU ms per request over n requests, `before()` run (and not timed) before each."""
    total = 0.0
    for _ in range(n):
        if before:
            before()
        start = time.process_time()
        get(client, path)
        total += time.process_time() - start
    return 1000 * total / n


def queries(client, path: str, before=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if before:
        before()
    with CaptureQueriesContext(connection) as captured:
        get(client, path)
    return len(captured)


def profile(client, path: str, before=None, n: int = 20) -> str:
    profiler = cProfile.Profile()
    for _ in range(n):
        if before:
            before()
        profiler.enable()
        get(client, path)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=30, help="requests per measurement")
    parser.add_argument("--only", nargs="*", help="page names (all by default)")
    parser.add_argument("--profile", nargs="*", default=[], help="pages to cProfile")
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args()
    os.environ.update(run_staff.environment())
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.core.cache import cache

    sample_file = run_staff.BENCH / "var" / f"staff-sample-{run_staff.DATABASE}.json"
    if not sample_file.exists():
        raise SystemExit(f"{sample_file} is missing: run bench/run_staff.py once (it seeds)")
    pages, cookies = run_staff.pages_and_cookies(json.loads(sample_file.read_text()))
    results = {}
    print(f"{'page':16} {'hit ms':>7} {'q':>3}   {'miss ms':>7} {'q':>3}   {'cold ms':>7} {'q':>3}")
    for name, _label, path, who in pages:
        if args.only and name not in args.only:
            continue
        client = client_for(cookies[who])
        get(client, path)  # warm: templates loaded, figures cached
        get(client, path)
        hit_ms = measure(client, path, args.n)
        hit_q = queries(client, path)
        miss_ms = measure(client, path, args.n, before=bump_all)
        miss_q = queries(client, path, before=bump_all)
        cold_ms = measure(client, path, max(3, args.n // 10), before=cache.clear)
        cold_q = queries(client, path, before=cache.clear)
        get(client, path)
        results[name] = {
            "path": path,
            "hit_cpu_ms": round(hit_ms, 2),
            "hit_queries": hit_q,
            "miss_cpu_ms": round(miss_ms, 2),
            "miss_queries": miss_q,
            "cold_cpu_ms": round(cold_ms, 2),
            "cold_queries": cold_q,
        }
        print(
            f"{name:16} {hit_ms:7.1f} {hit_q:3}   {miss_ms:7.1f} {miss_q:3}   "
            f"{cold_ms:7.1f} {cold_q:3}",
            flush=True,
        )
        if name in args.profile:
            print(f"--- {name}: hit path\n{profile(client, path)}")
            print(f"--- {name}: miss path\n{profile(client, path, before=bump_all)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
