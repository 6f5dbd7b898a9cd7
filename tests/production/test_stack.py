"""The production stack without containers, for real: `scripts/production` (migrate,
collectstatic, then the Procfile's gunicorn, Celery worker and beat through honcho) with
config.settings.production, against a fresh PostgreSQL database, Redis and moto's S3 server.

Over HTTP, as a browser behind the TLS-terminating proxy (which sends X-Forwarded-Proto and
carries the Secure cookies): a buyer orders, the owner signs in and uploads a photo, the worker
makes its renditions, and the photo's public address (read from the product page) answers the
image with the year-long cache header. Every process is stopped at the end (its group).
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from config.settings.base import PUBLIC_CACHE_CONTROL
from tests.factories import image_bytes
from tests.messaging.smtp import SMTPStub
from tests.s3 import create_buckets

ROOT = Path(__file__).resolve().parents[2]
PORT = 9410
BASE = f"http://127.0.0.1:{PORT}"
# The PostgreSQL server and the Redis database the stack uses (not the suite's own).
POSTGRES = os.environ.get("STACK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379/8")
OWNER = ("owner@stack.example", "stack-owner-pass-9c1e")
CHECKOUT = {
    "email": "mei@example.com",
    "name": "Mei Chen",
    "phone": "+86 138 0000 0000",
    "address_line1": "12 Riverside Road",
    "cn_province": "42",
    "cn_city": "4205",
    "cn_district": "420502",
    "postcode": "443000",
    "country": "CN",
    "notify_by": "email",
    "payment_method": "cod",
}
SEED = """
from decimal import Decimal
from shop.models import Category, Product, Variant
category = Category.objects.create(name="Shirts", slug="shirts")
product = Product.objects.create(
    name="Linen shirt", slug="linen-shirt", category=category, price=Decimal("120.00"),
    status=Product.Status.ACTIVE,
)
Variant.objects.create(product=product, sku="LS-M", size="M", colour="Navy", stock=5)
print(product.pk)
"""


class Browser:
    """A visitor behind the TLS-terminating proxy: it sends X-Forwarded-Proto, and it keeps and
    sends back the Secure cookies over this plain-http hop, as the browser does over https to
    the proxy (requests itself would drop them: its per-request cookie jar sends Secure cookies
    over https only)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Accept-Language": "en",
            "Origin": f"https://127.0.0.1:{PORT}",
        }

    def _send(self, method, path, *, headers=None, **kwargs):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {**self.headers, **(headers or {}), **({"Cookie": cookie} if cookie else {})}
        response = requests.request(
            method, BASE + path, headers=headers, timeout=60, allow_redirects=False, **kwargs
        )
        for item in response.cookies:
            if item.value and not item.is_expired():
                self.cookies[item.name] = item.value
            else:
                self.cookies.pop(item.name, None)
        return response

    def get(self, path, **kwargs):
        return self._send("GET", path, **kwargs)

    def post(self, path, data, *, page=None, **kwargs):
        """POST as the form on `page` (fetched first when not given) would, CSRF token in."""
        html = page if page is not None else self.get(path).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return self._send(
            "POST",
            path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": f"https://127.0.0.1:{PORT}{path}"},
            **kwargs,
        )


@pytest.fixture
def database():
    """A new, empty PostgreSQL database; dropped afterwards."""
    name = f"shop_stack_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mail_server():
    """Production sends real mail: here to a local SMTP stand-in that counts what it gets."""
    with SMTPStub() as server:
        yield server


@pytest.fixture
def stack(database, s3_server, mail_server, tmp_path):
    """scripts/production running in its own process group; its environment and log."""
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": database,
        "REDIS_URL": REDIS,
        "CACHE_PREFIX": f"stack-{uuid.uuid4().hex[:8]}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"https://127.0.0.1:{PORT}",
        "TLS_PROXY": "1",
        "PORT": str(PORT),
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "SHOP_LANGUAGE": "en",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_server.port),
        # Production refuses the console outbox; the console class by name is the test's SMS.
        "SMS_PROVIDER": "messaging.sms.console.ConsoleSms",
        **create_buckets("stack"),
    }
    log = open(tmp_path / "stack.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - the repository's own script
        [str(ROOT / "scripts" / "production")],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = (
            time.monotonic() + 150
        )  # migrate on a fresh database: ~30 s on a busy 2-core machine
        while True:
            assert process.poll() is None, (tmp_path / "stack.log").read_text()
            try:
                if requests.get(f"{BASE}/", headers={"X-Forwarded-Proto": "https"}, timeout=10):
                    break
            except requests.RequestException:
                pass  # not listening yet, or its first answer is slow
            assert time.monotonic() < deadline, (tmp_path / "stack.log").read_text()
            time.sleep(0.5)
        yield environ, tmp_path / "stack.log"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        # honcho has waited for its processes; their own children (gunicorn's and Celery's
        # workers) finish their warm shutdown within a few seconds.
        deadline = time.monotonic() + 15
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("a process of the stack outlived its stop by 15 s")


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def manage(environ, *args, stdin=None) -> str:
    environ = {**environ, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = subprocess.run(  # noqa: S603 - manage.py, our arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_production_stack_sells_and_serves_photos_from_the_bucket(stack, mail_server):
    environ, log = stack
    product_pk = int(manage(environ, "shell", stdin=SEED).strip().splitlines()[-1])
    manage({**environ, "OWNER_PASSWORD": OWNER[1]}, "create_owner", OWNER[0])

    # Static files from whitenoise, hashed and cached for ever.
    buyer = Browser()
    home = buyer.get("/")
    assert home.status_code == 200, home.text[:500]
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text).group(1)
    static = buyer.get(css)
    assert static.status_code == 200 and "max-age=315360000" in static.headers["Cache-Control"]
    # Without the proxy's header production settings send the visitor to https.
    plain = requests.get(f"{BASE}/", timeout=10, allow_redirects=False)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")

    # A guest orders through the pages.
    page = buyer.get("/products/linen-shirt/")
    assert page.status_code == 200
    variant = re.search(r'name="variant" value="(\d+)"', page.text).group(1)
    added = buyer.post("/cart/add/", {"variant": variant, "quantity": "1"}, page=page.text)
    assert added.status_code == 302, log.read_text()[-3000:]
    checkout = buyer.get("/checkout/").text
    key = re.search(r'name="checkout_key" value="([^"]+)"', checkout).group(1)
    placed = buyer.post("/checkout/", {**CHECKOUT, "checkout_key": key}, page=checkout)
    assert placed.status_code == 302, placed.text[:2000]
    thanks = placed.headers["Location"]
    token = re.fullmatch(r"/checkout/thanks/([^/]+)/", thanks).group(1)
    tracking = buyer.get(f"/orders/{token}/")
    assert tracking.status_code == 200 and "Linen shirt" in tracking.text
    # The worker sends the buyer's confirmation over SMTP (the owner's notice may come too).
    deadline = time.monotonic() + 30
    while not mail_server.received:
        assert time.monotonic() < deadline, log.read_text()[-5000:]
        time.sleep(0.5)

    # The owner signs in and uploads a photo through the product's page.
    owner = Browser()
    signed_in = owner.post("/account/sign-in/", {"login": OWNER[0], "password": OWNER[1]})
    assert signed_in.status_code == 302, signed_in.text[:2000]
    edit = owner.get(f"/manage/products/{product_pk}/")
    assert edit.status_code == 200
    photo = image_bytes(size=(3000, 2000))
    uploaded = owner.post(
        f"/manage/products/{product_pk}/images/",
        {},
        page=edit.text,
        files={"images": ("shirt.jpg", photo, "image/jpeg")},
    )
    assert uploaded.status_code == 302, uploaded.text[:2000]

    # The worker makes the renditions; the product page then points at them in the bucket.
    public = f"{environ['S3_ENDPOINT_URL']}/{environ['MEDIA_BUCKET']}/"
    pattern = re.escape(public) + r"products/[0-9/]+[0-9a-f]{32}-1200\.webp"
    deadline = time.monotonic() + 30
    while not (found := re.search(pattern, buyer.get("/products/linen-shirt/").text)):
        assert time.monotonic() < deadline, log.read_text()[-5000:]
        time.sleep(0.5)
    fetched = requests.get(found.group(0), timeout=10)  # anonymous, as a browser
    assert fetched.status_code == 200
    assert fetched.content[:4] == b"RIFF" and fetched.content[8:12] == b"WEBP"
    assert fetched.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL
    # The page allows the bucket's images under its Content-Security-Policy.
    product_page = buyer.get("/products/linen-shirt/")
    assert environ["S3_ENDPOINT_URL"] in product_page.headers["Content-Security-Policy"]
