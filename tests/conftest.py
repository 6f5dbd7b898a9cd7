import os

import pytest
from django.core.cache import cache

from accounts.models import OWNER, SUPPORT

from .factories import UserFactory
from .s3 import s3_media, s3_server  # noqa: F401 - fixtures: the local S3 server

# live_server and sync Playwright share a thread with Django's ORM in browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "pass-word-123"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _shop_language():
    """A request through the test client leaves its language active in the thread (Django's
    LocaleMiddleware activates it and nothing deactivates it): a test that ordered in Chinese
    made the next one's form errors Chinese. Each test starts and ends in the shop's language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    """The console SMS provider keeps what it sends in memory: each test starts with none."""
    from messaging.sms import console

    console.reset_outbox()
    yield
    console.reset_outbox()


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", roles=[OWNER])


@pytest.fixture
def support_user(db):
    return UserFactory(email="support@example.com", roles=[SUPPORT])


@pytest.fixture
def customer(db):
    return UserFactory(email="customer@example.com")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


# ----------------------------------------------------------------- shared setup
@pytest.fixture
def shop_profile(db):
    """The shop's one profile, made before the test (so no page counts its creation)."""
    from shop.models import ShopProfile

    return ShopProfile.load()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """`with on_commit():` runs what the block queued for after commit, as a real request."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_delivered_order(*variants, product=None, buyer=None):
    """An order placed, shipped and delivered through the real services (two lines, M and L,
    of one new product unless `variants` are given; one of each)."""
    from orders import services

    from .factories import ProductFactory, VariantFactory
    from .orders.helpers import BUYER, place

    if not variants:
        product = product or ProductFactory()
        variants = (
            VariantFactory(product=product, size="M", stock=10),
            VariantFactory(product=product, size="L", stock=10),
        )
    order = place({v: 1 for v in variants}, buyer=buyer or BUYER)
    services.mark_shipped(order, carrier="SF", tracking_number="SF1")
    return services.mark_delivered(order)


@pytest.fixture
def delivered_order(db):
    """make_delivered_order, for tests that take it as a fixture."""
    return make_delivered_order


@pytest.fixture
def pin_queries(django_assert_num_queries):
    """Pin a page's cost: `pin_queries(client, n, page)`.

    For each size, `page(size)` makes that many more rows of what the page shows (or a new
    object with that many) and returns the page's address; the page must cost exactly `n`
    queries each time, from a cold cache. A page whose cost grows with its rows fails at the
    second size; one that got cheaper or dearer fails at the first, naming every query.
    """

    def pin(client, n: int, page, *, sizes=(2, 7), headers=None, status=200):
        for size in sizes:
            url = page(size)
            cache.clear()
            with django_assert_num_queries(n, info=f"{url} with {size} more rows"):
                response = client.get(url, headers=headers or {})
            assert response.status_code == status, (url, response.status_code)
        return response

    return pin


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
    return {**browser_type_launch_args, "executable_path": path}


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to a PostgreSQL database")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
