import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.cache import ReusingRedisCache
from shop.models import ShopProfile

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture
def product():
    ShopProfile.load()
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


def test_visitors_with_a_session_are_not_served_from_the_page_cache(product):
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
