"""Bounded load on the shop while its Redis is stopped, then frozen, and what each request got.

Usage (bench/redis_faults/run.sh calls it, in the servers' environment):

    load.py --base URL --redis-port P --redis-pidfile F \
        --phases up=30,stop=120,back=30,freeze=45,after=30 --drain 300

Threads, each pausing between its requests, so the load stays far below what the server can
take (bounded, as in the fault runs of issue 17):
- 2 browsers: /products/ and a product page in turn, about 8 requests/s each, no cookies;
- 2 buyers: one checkout after another (product page, add to cart, checkout form, place
  order, thanks page), each on a fresh session and its own client address (X-Forwarded-For,
  one trusted proxy) so that the public write limits count buyers apart; one checkout in four
  takes a variant with a few units left (an order that bumps the catalogue cache after
  commit) while one is left;
- 1 owner: every second, ships and then delivers one order placed in the run (the owner's
  session is made in the database);
- /healthz every 2 s.
The main thread runs the schedule on the bench's own redis-server: `stop` is SIGTERM at its
start and a new, empty redis-server at its end; `freeze` is SIGSTOP, then SIGCONT. Then it
waits (up to --drain seconds) until every message the run created has been sent by the
worker or the sweep, and prints one BENCH_JSON line.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from bench.checkout.buyers import BUYER, CHECKOUT_KEY, CSRF, Browser  # noqa: E402

TIMEOUT_SECONDS = 30  # gunicorn's own timeout: a request held longer is killed there


class Recorder:
    """Every request: when it started (phase), what it was, its status, how long it took."""

    def __init__(self):
        self.rows: list[dict] = []
        self.lock = threading.Lock()
        self.phase = "start"

    def call(self, kind: str, browser: Browser, method: str, path: str, form=None):
        phase, began = self.phase, time.monotonic()
        try:
            status, location, body = browser.request(method, path, form)
            error = ""
        except OSError as exc:  # refused, reset, timed out: a server error for the visitor
            status, location, body, error = 0, "", "", f"{type(exc).__name__}: {exc}"
        seconds = time.monotonic() - began
        with self.lock:
            self.rows.append(
                {
                    "phase": phase,
                    "kind": kind,
                    "status": status,
                    "ms": seconds * 1000,
                    "error": error,
                }
            )
        return status, location, body


def browse(recorder: Recorder, base: str, slugs: list[str], stop: threading.Event, n: int):
    rng = random.Random(n)
    while not stop.is_set():
        recorder.call("catalogue", Browser(base), "GET", "/products/")
        recorder.call("product page", Browser(base), "GET", f"/products/{rng.choice(slugs)}/")
        stop.wait(0.25)


def buy(recorder: Recorder, base: str, plenty, few, stop: threading.Event, n: int, counts):
    rng = random.Random(100 + n)
    i = 0
    while not stop.is_set():
        i += 1
        low = i % 4 == 0 and bool(few)
        slug, variant_id = rng.choice((few if low else plenty) or plenty)
        address = f"198.51.{100 + n}.{i % 250 + 1}"  # documentation range: a header, no traffic
        browser = Browser(base, headers={"X-Forwarded-For": address})
        status, _, page = recorder.call("product page", browser, "GET", f"/products/{slug}/")
        token = CSRF.search(page)
        if status != 200 or not token:
            stop.wait(0.5)
            continue
        form = {"csrfmiddlewaretoken": token.group(1), "variant": variant_id, "quantity": 1}
        status, _, _ = recorder.call("cart add", browser, "POST", "/cart/add/", form)
        if status == 422:  # sold out: none of those units left
            with recorder.lock:
                counts["sold_out"] += 1
            few[:] = [v for v in few if v[1] != variant_id]
            continue
        status, _, page = recorder.call("checkout form", browser, "GET", "/checkout/")
        token, key = CSRF.search(page), CHECKOUT_KEY.search(page)
        if status == 302:  # an empty cart: the variant sold out
            with recorder.lock:
                counts["sold_out"] += 1
            few[:] = [v for v in few if v[1] != variant_id]
            continue
        if status != 200 or not token or not key:
            stop.wait(0.5)
            continue
        form = {
            **BUYER,
            "email": f"buyer{n}-{i}@bench.example",
            "csrfmiddlewaretoken": token.group(1),
            "checkout_key": key.group(1),
        }
        status, location, body = recorder.call("place order", browser, "POST", "/checkout/", form)
        if status == 302 and "/thanks/" in location:
            with recorder.lock:
                counts["placed"] += 1
                counts["low_stock"] += bool(low)
            recorder.call("thanks page", browser, "GET", urllib.parse.urlsplit(location).path)
        elif status == 422 and "sold out" in body:
            with recorder.lock:
                counts["sold_out"] += 1
            if low:
                few[:] = [v for v in few if v[1] != variant_id]
        stop.wait(0.2)


def own(recorder: Recorder, base: str, session_key: str, started, stop: threading.Event):
    from django.db import connection

    from orders.models import Order

    browser = Browser(base)
    browser.cookies["sessionid"] = session_key
    while not stop.wait(1.0):
        order = Order.objects.filter(status="placed", placed_at__gte=started).order_by("pk").first()
        if order is None:
            continue
        status, _, page = recorder.call("owner page", browser, "GET", f"/manage/orders/{order.pk}/")
        token = CSRF.search(page)
        if status != 200 or not token:
            continue
        ship = {"csrfmiddlewaretoken": token.group(1), "carrier": "SF", "tracking_number": "SF1"}
        recorder.call("owner ships", browser, "POST", f"/manage/orders/{order.pk}/ship/", ship)
        deliver = {"csrfmiddlewaretoken": token.group(1)}
        path = f"/manage/orders/{order.pk}/deliver/"
        recorder.call("owner delivers", browser, "POST", path, deliver)
    connection.close()


def probe_health(recorder: Recorder, base: str, stop: threading.Event):
    while not stop.wait(2.0):
        recorder.call("healthz", Browser(base), "GET", "/healthz")


class RedisServer:
    """The bench's own redis-server (never the shared one): stop, start, freeze, thaw."""

    def __init__(self, port: int, pidfile: str):
        self.port, self.pidfile = port, pidfile

    def pid(self) -> int:
        return int(Path(self.pidfile).read_text().strip())

    def stop(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "yes", "--pidfile", self.pidfile]
            + ["--logfile", str(Path(self.pidfile).with_suffix(".log"))],
            check=True,
        )

    def freeze(self) -> None:
        os.kill(self.pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.pid(), signal.SIGCONT)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(rows: list[dict]) -> dict:
    ms = [r["ms"] for r in rows]
    return {
        "requests": len(rows),
        "succeeded": sum(1 for r in rows if 200 <= r["status"] < 400),
        "server_errors": sum(1 for r in rows if r["status"] >= 500 or r["status"] == 0),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
    }


def shop_data() -> dict:
    """Slugs to browse, variants to buy (plenty of units, a few units), the owner's session."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from shop.models import Product, Variant

    active = Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
    plenty = list(active.filter(stock__gte=100_000).values_list("product__slug", "pk"))
    few = list(active.filter(stock__gt=0, stock__lte=5).values_list("product__slug", "pk"))
    owner = User.objects.get(email="owner@demo.shop")
    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.RolesModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.create()
    slugs = list(
        Product.objects.filter(status=Product.Status.ACTIVE).values_list("slug", flat=True)
    )
    return {"slugs": slugs, "plenty": plenty, "few": few, "session": session.session_key}


def drain(started, seconds: float) -> tuple[dict, float]:
    """Wait until every message of the run is sent (or failed); its states and the wait."""
    from django.db.models import Count

    from messaging.models import Message

    began = time.monotonic()
    while True:
        states = dict(
            Message.objects.filter(created_at__gte=started)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        waiting = states.get("queued", 0) + states.get("sending", 0)
        if not waiting or time.monotonic() - began > seconds:
            return states, time.monotonic() - began
        time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8766")
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--redis-pidfile", required=True)
    parser.add_argument("--phases", default="up=30,stop=120,back=30,freeze=45,after=30")
    parser.add_argument("--drain", type=float, default=300)
    parser.add_argument("--mail-log", default=os.environ.get("BENCH_MAIL_LOG", ""))
    args = parser.parse_args()
    phases = [(name, float(s)) for name, s in (p.split("=") for p in args.phases.split(","))]

    import django

    django.setup()
    from django.utils import timezone

    started = timezone.now()
    data = shop_data()
    redis = RedisServer(args.redis_port, args.redis_pidfile)
    recorder = Recorder()
    counts = {"placed": 0, "low_stock": 0, "sold_out": 0}
    stop = threading.Event()
    threads = [
        threading.Thread(target=browse, args=(recorder, args.base, data["slugs"], stop, n))
        for n in range(2)
    ]
    few = list(data["few"])
    threads += [
        threading.Thread(
            target=buy, args=(recorder, args.base, data["plenty"], few, stop, n, counts)
        )
        for n in range(2)
    ]
    threads.append(
        threading.Thread(target=own, args=(recorder, args.base, data["session"], started, stop))
    )
    threads.append(threading.Thread(target=probe_health, args=(recorder, args.base, stop)))
    for thread in threads:
        thread.start()
    schedule = []
    try:
        for name, seconds in phases:
            recorder.phase = name
            schedule.append({"phase": name, "seconds": seconds})
            print(f"== {name} for {seconds:.0f} s", flush=True)
            if name == "stop":
                redis.stop()
            elif name == "freeze":
                redis.freeze()
            time.sleep(seconds)
            if name == "stop":
                redis.start()
            elif name == "freeze":
                redis.thaw()
    finally:
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT_SECONDS + 5)
    print("== waiting for every message of the run to be sent", flush=True)
    states, waited = drain(started, args.drain)

    from orders.models import Order

    rows = recorder.rows
    shop_rows = [r for r in rows if r["kind"] != "healthz"]
    health = [r for r in rows if r["kind"] == "healthz"]
    mail_lines = Path(args.mail_log).read_text().splitlines() if args.mail_log else []
    result = {
        "schedule": schedule,
        "by_phase": {
            name: {
                "all": summary([r for r in shop_rows if r["phase"] == name]),
                **{
                    kind: summary(
                        [r for r in shop_rows if r["phase"] == name and r["kind"] == kind]
                    )
                    for kind in sorted({r["kind"] for r in shop_rows})
                },
            }
            for name, _ in phases
        },
        "healthz": {
            name: {
                "answers": len(h := [r for r in health if r["phase"] == name]),
                "status": sorted({r["status"] for r in h}),
                "max_ms": round(max((r["ms"] for r in h), default=0), 1),
            }
            for name, _ in phases
        },
        "server_errors": sum(1 for r in shop_rows if r["status"] >= 500 or r["status"] == 0),
        "first_errors": [r for r in shop_rows if r["status"] >= 500 or r["status"] == 0][:5],
        "statuses": {
            str(s): sum(1 for r in shop_rows if r["status"] == s)
            for s in sorted({r["status"] for r in shop_rows})
        },
        "orders_placed_answers": counts["placed"],
        "low_stock_orders": counts["low_stock"],
        "sold_out_answers": counts["sold_out"],
        "orders_in_database": Order.objects.filter(placed_at__gte=started).count(),
        "orders_delivered": Order.objects.filter(
            placed_at__gte=started, status="delivered"
        ).count(),
        "messages": states,
        "messages_total": sum(states.values()),
        "drain_seconds": round(waited, 1),
        "emails_written": len(mail_lines),
        "emails_distinct": len(set(mail_lines)),
    }
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
