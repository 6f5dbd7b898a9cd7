"""In-process CPU per answer of the never-seen filter run (issue 18), with a profile.

    .venv/bin/python bench/shopper/profile_filters.py --database shop_ff_bench \
        --redis redis://127.0.0.1:6379/8 [--requests 400] [--profile 30] [--dump DIR]

What bench/shopper/run.py's "never-seen filter every request" row measures, without gunicorn
or wrk, so that the figure does not move with the other work on a shared machine: production
settings (the same environment as run.py), the Redis db given (flushed first), the seeded
database; a session with a one-item cart; every product card warmed as the bench warms them,
and one catalogue request so that the facets, the profile and the catalogue index are warm.
Then --requests requests through django.test.Client, each a filter combination drawn as
bench/shopper/fresh_filters.lua draws them (category, size, colour, stock, sort and a random
max_price with cents), and it prints the CPU time of this process per answer
(time.process_time: Django's side only, not PostgreSQL's or Redis's), the queries per answer,
and cProfile's top functions over the last --profile requests.

--dump DIR writes the pages of a fixed, seeded set of filter combinations (the CSRF token
blanked) to DIR, so that two commits' pages can be compared byte for byte (diff -r).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ["", "", "shirts", "trousers", "dresses", "jackets", "knitwear"]
SIZES = ["", "", "XS", "S", "M", "L", "XL"]
COLOURS = ["", "", "Indigo", "Oat white", "Black", "Rust", "Sage", "Navy", "Charcoal", "Sand"]
SORTS = ["newest", "price_asc", "price_desc", "rating"]
TOKEN = re.compile(rb"[A-Za-z0-9]{64}")


def fresh_filter(rng: random.Random) -> dict:
    """One combination as fresh_filters.lua draws it."""
    params = {}
    for name, choices in (("category", CATEGORIES), ("size", SIZES), ("colour", COLOURS)):
        value = rng.choice(choices)
        if value:
            params[name] = value
    if rng.random() < 0.5:
        params["in_stock"] = "on"
    params["sort"] = rng.choice(SORTS)
    params["max_price"] = f"{rng.randint(400, 9999999)}.{rng.randint(0, 99):02d}"
    return params


def set_up(database: str, redis_url: str):
    """Django set up in this process as bench/shopper/run.py sets gunicorn up (same
    environment), the Redis db flushed, static files collected; returns run.py's module and the
    Cookie header of a session whose cart holds one item."""
    sys.path.insert(0, str(ROOT / "bench" / "shopper"))
    import run  # noqa: PLC0415 (the bench's own environment, so the two measure one thing)

    env = run.environment(SimpleNamespace(database=database, redis=redis_url, app_root=ROOT))
    os.environ.update(env)

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    redis.Redis.from_url(redis_url).flushdb()
    call_command("collectstatic", interactive=False, verbosity=0)
    return run, run.shopper_cookie()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="shop_bench_h7")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--profile", type=int, default=30, help="requests profiled (0: none)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--dump", type=Path, help="write the pages of 40 fixed combinations here")
    args = parser.parse_args()

    run, cookie = set_up(args.database, args.redis)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, value = cookie.split("=", 1)
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[name] = value
    print("cards warmed:", run.warm_cards())
    assert client.get("/products/").status_code == 200  # facets, profile, index

    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        rng = random.Random(2026)
        for n in range(40):
            params = fresh_filter(rng)
            if n % 4 == 0:
                params["page"] = str(1 + n % 3)
            response = client.get("/products/", params)
            assert response.status_code == 200, (params, response.status_code)
            body = TOKEN.sub(b"T" * 64, response.content)
            (args.dump / f"{n:02d}.html").write_bytes(body)
            htmx = client.get("/products/", params, headers={"HX-Request": "true"})
            (args.dump / f"{n:02d}-htmx.html").write_bytes(TOKEN.sub(b"T" * 64, htmx.content))
        print("pages written to", args.dump)
        return

    rng = random.Random(args.seed)
    plain = args.requests - args.profile
    queries = 0
    start = time.process_time()
    wall = time.perf_counter()
    for _ in range(plain):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/products/", fresh_filter(rng))
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "miss"
        queries += len(captured)
    cpu = time.process_time() - start
    wall = time.perf_counter() - wall
    print(
        f"{plain} never-seen filter answers: {1000 * cpu / plain:.2f} ms CPU each "
        f"({1000 * wall / plain:.2f} ms wall), {queries / plain:.2f} queries each, "
        f"{len(response.content)} bytes (last)"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.profile):
            client.get("/products/", fresh_filter(rng))
        profile.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
