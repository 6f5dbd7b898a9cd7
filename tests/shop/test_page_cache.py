import os
import re
import secrets

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from config.cache import ReusingRedisCache

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture
def product(shop_profile):
    product = ProductFactory(slug="shirt", name="Linen shirt")
    VariantFactory(product=product, stock=3)
    return product


def test_a_first_time_visitor_gets_the_page_from_cache_with_a_fresh_working_token(product):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(product.get_absolute_url())
    with CaptureQueriesContext(connection) as ctx:
        page = second.get(product.get_absolute_url())
    assert len(ctx.captured_queries) == 0
    html = page.content.decode()
    assert "Linen shirt" in html and "\x00csrf\x00" not in html
    token = TOKEN.search(html).group(1)
    assert '"x-csrftoken": "' in html
    # The token put in on the way out works with the cookie this answer set.
    response = second.post(
        "/cart/add/",
        {"variant": product.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert second.session["cart"] == {str(product.variants.get().pk): 1}


def test_visitors_with_a_session_get_the_cached_page_with_their_cart(product):
    Client().get(product.get_absolute_url())
    shopper = Client()
    shopper.post("/cart/add/", {"variant": product.variants.get().pk, "quantity": 1})
    page = shopper.get(product.get_absolute_url()).content.decode()
    assert '<span class="cart-count">1</span>' in page


def test_changes_are_seen_at_once(product, django_capture_on_commit_callbacks):
    Client().get("/products/")
    product.name = "Renamed shirt"
    with django_capture_on_commit_callbacks(execute=True):
        product.save()
    assert "Renamed shirt" in Client().get("/products/").content.decode()


def test_htmx_fragments_and_full_pages_are_cached_apart(product):
    full = Client().get("/products/").content.decode()
    fragment = Client().get("/products/", HTTP_HX_REQUEST="true").content.decode()
    again = Client().get("/products/").content.decode()
    assert "<html" in full and "<html" not in fragment and "<html" in again


def test_redis_cache_client_is_reused():
    cache = ReusingRedisCache("redis://127.0.0.1:6379/0", {})
    assert cache._cache.get_client() is cache._cache.get_client()


# ---------------------------------------------------------------- only what the page reads
def page_keys() -> list[str]:
    """The stored pages in the test cache (locmem: its own dict of made keys)."""
    return [key for key in cache._cache if ":page:" in key]


def junk() -> str:
    return secrets.token_urlsafe(8)


def test_200_requests_with_a_random_utm_store_one_catalogue_page(product):
    for _ in range(200):
        response = Client().get(f"/products/?utm={junk()}")
        assert response.status_code == 200
    assert len(page_keys()) == 1
    # The page stored is the one for no parameter: no visitor's junk is in its links.
    assert "utm=" not in Client().get("/products/").content.decode()


def test_200_requests_with_random_unknown_parameters_store_one_product_page(product):
    for _ in range(200):
        url = f"{product.get_absolute_url()}?utm_source={junk()}&fbclid={junk()}&{junk()}=1"
        assert Client().get(url).status_code == 200
    assert len(page_keys()) == 1


def test_known_parameters_keep_their_own_pages(product):
    other = ProductFactory(name="Wool coat", slug="coat")
    VariantFactory(product=other, stock=2)
    everything = Client().get("/products/?utm=a").content.decode()
    searched = Client().get("/products/?q=coat&utm=b").content.decode()
    assert 'href="/products/shirt/"' in everything and 'href="/products/coat/"' in everything
    assert 'href="/products/coat/"' in searched and 'href="/products/shirt/"' not in searched
    assert len(page_keys()) == 2


@pytest.mark.parametrize(
    "variants",
    [
        ["?q=coat", "?q=coat&utm=1", "?utm=2&q=coat", "?q=shirt&q=coat", "?q=coat&sort="],
        ["", "?page=1", "?page=01", "?page=abc", "?page=", "?page=1.5"],
        ["?sort=price_asc&in_stock=on", "?in_stock=on&sort=price_asc&gclid=x"],
    ],
    ids=["last-value-and-order", "first-page-spellings", "parameter-order"],
)
def test_spellings_of_one_page_share_one_key(product, variants):
    pages = {
        Client().get(f"/products/{query}").content.decode().count("<article") for query in variants
    }
    assert len(page_keys()) == 1
    assert len(pages) == 1


@pytest.mark.parametrize(
    "value", ["0", "-1", "1001", "9" * 50, "x" * 101], ids=["0", "-1", "1001", "9x50", "x101"]
)
def test_out_of_range_pages_and_overlong_values_are_answered_but_not_stored(product, value):
    # Page 0, -1 and past the end all show the last page: a number per key would be endless.
    assert Client().get(f"/products/?page={value}").status_code == 200
    assert Client().get(f"/products/?q={value}").status_code == 200
    assert len(page_keys()) == (1 if len(value) <= 100 else 0)  # a search of up to 100 is kept


def test_random_htmx_targets_are_answered_but_not_stored(product):
    for _ in range(50):
        response = Client().get(
            product.get_absolute_url(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET=junk()
        )
        assert response.status_code == 200
    assert page_keys() == []
    fragment = Client().get(
        product.get_absolute_url() + "?stars=5",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="review-list",
    )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert len(page_keys()) == 1


def test_junk_htmx_header_values_share_the_plain_pages_key(product):
    for value in ("false", "1", junk(), ""):
        Client().get("/products/", HTTP_HX_REQUEST=value, HTTP_HX_HISTORY_RESTORE_REQUEST=junk())
    assert len(page_keys()) == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
def test_200_random_utm_requests_store_one_page_in_redis(product):
    prefix = f"pagecache-test-{junk()}"
    redis_cache = {
        "default": {
            "BACKEND": "config.cache.ReusingRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=redis_cache):
        from django.core.cache import cache as redis

        try:
            for _ in range(200):
                assert Client().get(f"/products/?utm={junk()}").status_code == 200
            client = redis._cache.get_client()
            stored = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            pages = [key for key in stored if b":page:" in key]
            assert len(pages) == 1
            # One card per product shown (one product here), and besides: the page, the grid,
            # the frame around it (shop.catalogue_frame), the facets, the shop profile, the
            # version.
            cards = [key for key in stored if b":catalogue:card:" in key]
            assert len(cards) == 1
            assert len(stored) - len(cards) <= 6
        finally:
            redis.clear()
