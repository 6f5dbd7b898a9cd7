"""In-process cost of one checkout, step by step: CPU, database queries and Redis commands.

Usage (environment as bench/checkout/run.sh sets it; the bench database must be seeded and
stocked up by one run of run.sh first):

    BENCH_DATABASE=shop_bench BENCH_REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/checkout/in_process.py [--checkouts 200] [--cprofile 30]

Each checkout is the five requests buyers.py makes, through django.test.Client with CSRF
checks on, on a fresh session, with a client address (X-Forwarded-For) and an email of its
own: the product page (page-cached), POST /cart/add/, the checkout form, POST /checkout/
(place_order), the thanks page. The wall clock of a shared machine is noise; CPU time of
this process (time.process_time) is not, and it is what gunicorn's workers spend per request,
minus the HTTP parsing. The broker is Redis (the email tasks are published, as in the shop;
no worker needs to run: run.sh flushes the Redis db before it starts one). Do not run it
while run.sh runs on the same database: its orders would count among the run's, and their
emails, published before run.sh's flush or never picked up, would show as a mismatch.

Prints, per step: CPU ms (median and mean over the checkouts), SQL queries and Redis
commands per request; then cProfile's top functions (by own time and by cumulative time)
over --cprofile more checkouts. --queries prints the SQL of one checkout.
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DB = os.environ.get("BENCH_DATABASE", "shop_bench")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings.production",
    SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    SECURE_SSL_REDIRECT="0",
    TRUSTED_PROXY_COUNT="1",
    DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"),
    VAR_DIR=str(ROOT / "bench" / "var"),
    LOG_LEVEL="WARNING",
    SMS_PROVIDER="messaging.sms.console.ConsoleSms",
    HEALTHZ_DISPATCHER_MINUTES="1000000",
    EMAIL_BACKEND="bench.followups.count_backend.CountingBackend",
    DB_POOL_MAX="2",
)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHECKOUT_KEY = re.compile(r'name="checkout_key" value="([^"]+)"')
STEPS = ("product page", "cart add", "checkout form", "place order", "thanks page")


class RedisCounter:
    """Counts the commands redis-py sends (a pipeline counts as one round trip)."""

    def __init__(self):
        import redis

        self.n = 0
        original = redis.Redis.execute_command
        original_pipe = redis.client.Pipeline.execute
        counter = self

        def execute_command(self, *args, **options):
            counter.n += 1
            return original(self, *args, **options)

        def execute(self, *args, **kwargs):
            counter.n += 1
            return original_pipe(self, *args, **kwargs)

        redis.Redis.execute_command = execute_command
        redis.client.Pipeline.execute = execute


def checkout(client_factory, variants, n: int, rng, on_step=None):
    """One checkout; on_step(index) is called before each request, and once more at the end."""
    from bench.checkout.buyers import BUYER, client_address

    slug, variant_id = rng.choice(variants)
    client = client_factory(client_address(7, n))
    step = on_step or (lambda i: None)

    step(0)
    page = client.get(f"/products/{slug}/")
    assert page.status_code == 200, page.status_code
    token = CSRF.search(page.content.decode()).group(1)
    step(1)
    added = client.post(
        "/cart/add/", {"csrfmiddlewaretoken": token, "variant": variant_id, "quantity": 1}
    )
    assert added.status_code == 302, added.status_code
    step(2)
    form = client.get("/checkout/")
    assert form.status_code == 200, form.status_code
    text = form.content.decode()
    data = {
        **BUYER,
        "csrfmiddlewaretoken": CSRF.search(text).group(1),
        "checkout_key": CHECKOUT_KEY.search(text).group(1),
        "email": f"profile{n}-{secrets.token_hex(4)}@bench.example",
    }
    step(3)
    placed = client.post("/checkout/", data)
    assert placed.status_code == 302, (placed.status_code, placed.content[:2000])
    step(4)
    thanks = client.get(placed["Location"])
    assert thanks.status_code == 200, thanks.status_code
    step(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--cprofile", type=int, default=30, help="checkouts under cProfile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="print one checkout's SQL")
    parser.add_argument("--step", choices=STEPS, help="cProfile only this step")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.checkout.buyers import stocked_variants

    variants = stocked_variants(5000)
    if not variants:
        raise SystemExit("No stocked-up variants: run bench/checkout/run.sh once first.")
    rng = random.Random(18)
    redis_counter = RedisCounter()

    # One client, as one gunicorn worker has one handler (a Client per checkout would load
    # the middleware each time: WhiteNoise scans the static files then); a fresh session per
    # checkout, as buyers.py's browsers have.
    client = Client(enforce_csrf_checks=True)

    def client_factory(address: str):
        client.cookies.clear()
        client.defaults["HTTP_X_FORWARDED_FOR"] = address
        return client

    serial = [int(time.time()) % 100_000 * 1000]

    def next_n() -> int:
        serial[0] += 1
        return serial[0]

    for _ in range(args.warmup):
        checkout(client_factory, variants, next_n(), rng)

    # CPU per step, without query capture (it costs a little itself).
    cpu = {name: [] for name in STEPS}
    for _ in range(args.checkouts):
        marks: list[float] = []
        checkout(
            client_factory,
            variants,
            next_n(),
            rng,
            lambda i, marks=marks: marks.append(time.process_time()),
        )
        for i, name in enumerate(STEPS):
            cpu[name].append((marks[i + 1] - marks[i]) * 1000)

    # Queries and Redis commands per step (the same in every checkout: a few are enough).
    queries = {name: [] for name in STEPS}
    redis_calls = {name: [] for name in STEPS}
    sql_of_one: list[tuple[str, list[str]]] = []
    for k in range(5):
        with CaptureQueriesContext(connection) as captured:
            marks = []

            def mark(i, marks=marks):
                marks.append((len(captured.captured_queries), redis_counter.n))

            checkout(client_factory, variants, next_n(), rng, mark)
        for i, name in enumerate(STEPS):
            queries[name].append(marks[i + 1][0] - marks[i][0])
            redis_calls[name].append(marks[i + 1][1] - marks[i][1])
            if k == 0:
                sql_of_one.append(
                    (
                        name,
                        [
                            q["sql"]
                            for q in captured.captured_queries[marks[i][0] : marks[i + 1][0]]
                        ],
                    )
                )

    print(f"{args.checkouts} checkouts, database {DB}, CPU of this process per request:")
    print(f"{'step':<16}{'cpu median':>12}{'cpu mean':>10}{'queries':>9}{'redis':>7}")
    total_median = total_mean = 0.0
    for name in STEPS:
        median, mean = statistics.median(cpu[name]), statistics.fmean(cpu[name])
        total_median += median
        total_mean += mean
        print(
            f"{name:<16}{median:>10.2f}ms{mean:>8.2f}ms"
            f"{max(queries[name]):>9}{max(redis_calls[name]):>7}"
        )
    whole = [sum(cpu[name][i] for name in STEPS) for i in range(args.checkouts)]
    print(
        f"{'whole checkout':<16}{statistics.median(whole):>10.2f}ms{statistics.fmean(whole):>8.2f}ms"
        f"{sum(max(q) for q in queries.values()):>9}{sum(max(r) for r in redis_calls.values()):>7}"
    )
    if args.queries:
        for name, sqls in sql_of_one:
            print(f"\n-- {name}: {len(sqls)} queries")
            for sql in sqls:
                print("   ", sql[:300])

    if args.cprofile:
        profiler = cProfile.Profile()

        def switch(i: int) -> None:
            if args.step is None:
                return
            if i == STEPS.index(args.step):
                profiler.enable()
            elif i == STEPS.index(args.step) + 1:
                profiler.disable()

        if args.step is None:
            profiler.enable()
        for _ in range(args.cprofile):
            checkout(client_factory, variants, next_n(), rng, switch)
        profiler.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(
                f"\n== cProfile over {args.cprofile} checkouts ({args.step or 'all steps'}), by {order}"
            )
            print(out.getvalue())


if __name__ == "__main__":
    main()
