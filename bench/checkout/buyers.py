"""Buyers that go through the shop over HTTP, as a browser without JavaScript would.

Usage (the run script calls it, with DATABASE_URL pointing at the bench database):

    .venv/bin/python bench/checkout/buyers.py throughput --base URL --buyers 8 --seconds 30
    .venv/bin/python bench/checkout/buyers.py contention --base URL --buyers 50 --stock 10

One checkout is five requests, each on a new connection (gunicorn's sync workers close every
connection): the product page (its CSRF token), POST /cart/add/, the checkout form (its
checkout key), POST /checkout/ (place_order), the thanks page it redirects to.

throughput: N buyer threads repeat checkouts for the given seconds (after a warm-up), each on a
fresh session and a random variant among those the run script stocked up; prints one JSON line
with orders/s and the latency of the whole checkout and of the POST that places the order.

contention: one variant gets exactly --stock units; --buyers threads each put one unit in a
cart and open the checkout form, wait at a barrier, and place their orders at the same moment.
Then the database is read: orders made for the variant, units sold, stock left.
"""

import argparse
import http.client
import json
import os
import random
import re
import resource
import statistics
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHECKOUT_KEY = re.compile(r'name="checkout_key" value="([^"]+)"')
BUYER = {
    "name": "Bench Buyer",
    "phone": "+86 138 0000 0000",
    "address_line1": "1 Bench Road",
    # The checkout's lists for 湖北省 / 宜昌市 / 西陵区 (orders.regions codes).
    "cn_province": "42",
    "cn_city": "4205",
    "cn_district": "420502",
    "postcode": "443000",
    "country": "CN",
    "notify_by": "email",
    "payment_method": "cod",
    "note": "",
}


class CheckoutFailed(Exception):
    pass


class Browser:
    """One visitor: a cookie jar and a request helper (new connection per request)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}  # sent with every request (X-Forwarded-For, say)

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Referer": f"http://{self.host}:{self.port}/",
            **self.headers,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), text
        finally:
            connection.close()

    def expect(self, status: int, wanted: int, what: str) -> None:
        if status != wanted:
            raise CheckoutFailed(f"{what}: {status}")

    def fill_cart(self, slug: str, variant_id: int) -> str:
        """Product page, add one unit; returns the checkout form's checkout key."""
        status, _, page = self.request("GET", f"/products/{slug}/")
        self.expect(status, 200, "product page")
        token = CSRF.search(page).group(1)
        status, _, _ = self.request(
            "POST",
            "/cart/add/",
            {"csrfmiddlewaretoken": token, "variant": variant_id, "quantity": 1},
        )
        self.expect(status, 302, "add to cart")
        status, _, page = self.request("GET", "/checkout/")
        self.expect(status, 200, "checkout form")
        self.checkout_form = {
            **BUYER,
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
            "checkout_key": CHECKOUT_KEY.search(page).group(1),
        }
        return self.checkout_form["checkout_key"]

    def place_order(self, email: str):
        """POST the checkout form: (status, location, body)."""
        return self.request("POST", "/checkout/", {**self.checkout_form, "email": email})


def client_address(buyer: int, n: int) -> str:
    return f"10.{buyer % 250}.{(n // 250) % 250}.{n % 250 + 1}"


def stocked_variants(limit: int) -> list[tuple[str, int]]:
    import django

    django.setup()
    from shop.models import Variant

    rows = (
        Variant.objects.filter(stock__gte=100_000, is_active=True, product__status="active")
        .values_list("product__slug", "pk")
        .order_by("pk")[:limit]
    )
    return list(rows)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0


def throughput(args) -> dict:
    variants = stocked_variants(5000)
    if not variants:
        raise SystemExit("No stocked-up variants: the run script sets stock >= 100000 first.")
    results: list[tuple[float, float, float]] = []  # (finished at, whole checkout, POST)
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    measure_from = start + args.warmup
    stop_at = measure_from + args.seconds

    def buyer(number: int) -> None:
        rng = random.Random(number)
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            slug, variant_id = rng.choice(variants)
            # A client address of its own per checkout (run.sh trusts one proxy), so the
            # public write limits (config.middleware) see many buyers, as in the shop.
            browser = Browser(args.base, headers={"X-Forwarded-For": client_address(number, n)})
            began = time.monotonic()
            try:
                browser.fill_cart(slug, variant_id)
                posted = time.monotonic()
                status, location, _ = browser.place_order(f"buyer{number}-{n}@bench.example")
                placed = time.monotonic()
                browser.expect(status, 302, "place order")
                status, _, _ = browser.request("GET", urllib.parse.urlsplit(location).path)
                browser.expect(status, 200, "thanks page")
            except (CheckoutFailed, OSError, AttributeError) as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            done = time.monotonic()
            with lock:
                results.append((done, done - began, placed - posted))

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(args.buyers)]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    # Checkouts begun after the warm-up and finished before the end: the steady state.
    measured = [r for r in results if r[0] - r[1] >= measure_from and r[0] <= stop_at]
    whole = [r[1] * 1000 for r in measured]
    post = [r[2] * 1000 for r in measured]
    return {
        "buyers": args.buyers,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "orders_measured": len(measured),
        "orders_total": len(results),
        "orders_per_second": round(len(measured) / args.seconds, 1),
        "requests_per_second": round(5 * len(measured) / args.seconds, 1),
        "checkout_p50_ms": round(statistics.median(whole), 1) if whole else None,
        "checkout_p95_ms": round(percentile(whole, 0.95), 1),
        "place_order_p50_ms": round(statistics.median(post), 1) if post else None,
        "place_order_p95_ms": round(percentile(post, 0.95), 1),
        "place_order_max_ms": round(max(post), 1) if post else None,
        "errors": len(errors),
        "first_errors": errors[:5],
        "client_cpu_seconds": round(
            cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1
        ),
        "variants": len(variants),
    }


def contention(args) -> dict:
    import django

    django.setup()
    from django.db.models import Sum

    from orders.models import OrderLine
    from shop.cache import bump_catalogue_version
    from shop.models import Variant

    variant = (
        Variant.objects.filter(is_active=True, product__status="active", stock__lt=100_000)
        .select_related("product")
        .order_by("pk")
        .first()
    )
    Variant.objects.filter(pk=variant.pk).update(stock=args.stock)
    bump_catalogue_version()
    lines_before = OrderLine.objects.filter(variant=variant).count()
    units_before = OrderLine.objects.filter(variant=variant).aggregate(n=Sum("quantity"))["n"] or 0

    browsers = [
        Browser(args.base, headers={"X-Forwarded-For": client_address(1000 + i, 0)})
        for i in range(args.buyers)
    ]
    for browser in browsers:  # carts filled one by one, while the stock is still there
        browser.fill_cart(variant.product.slug, variant.pk)
    barrier = threading.Barrier(args.buyers)
    answers: list[tuple[int, str, str]] = [None] * args.buyers  # type: ignore[list-item]

    def buyer(i: int) -> None:
        barrier.wait()
        answers[i] = browsers[i].place_order(f"contender{i}@bench.example")

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(args.buyers)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began

    placed = sum(1 for status, location, _ in answers if status == 302 and "/thanks/" in location)
    # The shop answers in its language (Chinese by default, English with SHOP_LANGUAGE=en).
    sold_out = sum(
        1
        for status, _, body in answers
        if status == 422 and ("just sold out" in body or "刚刚售罄" in body)
    )
    variant.refresh_from_db(fields=["stock"])
    lines = OrderLine.objects.filter(variant=variant)
    units_sold = (lines.aggregate(n=Sum("quantity"))["n"] or 0) - units_before
    orders_made = lines.count() - lines_before
    return {
        "buyers": args.buyers,
        "stock_before": args.stock,
        "variant": variant.sku,
        "orders_placed_answers": placed,
        "sold_out_answers": sold_out,
        "other_answers": args.buyers - placed - sold_out,
        "order_lines_in_database": orders_made,
        "units_sold": units_sold,
        "stock_after": variant.stock,
        "oversold_units": max(0, units_sold - args.stock),
        "seconds_for_all_answers": round(seconds, 2),
        "exact": placed == orders_made == args.stock
        and variant.stock == 0
        and sold_out == args.buyers - args.stock,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["throughput", "contention"])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--stock", type=int, default=10)
    args = parser.parse_args()
    result = throughput(args) if args.mode == "throughput" else contention(args)
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
