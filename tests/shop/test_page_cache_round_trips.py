"""What a page cache answer asks the cache for (issue 18): the catalogue version, the page and
the visitor's session in one round trip, the facets and the catalogue frame kept by the process
for the current version. Each saving must keep what it saves exact: the visitor's own cart,
the page of the current version only, values dropped with the version."""

import pytest
from django.core.cache import caches
from django.test import Client

from config.sessions import SessionStore
from shop import cache as catalogue_cache
from shop.cache import KeptPerVersion, bump_catalogue_version
from shop.models import Product

from ..factories import ProductFactory, VariantFactory
from .test_page_cache_personal import cart_count, shopper_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(shop_profile):
    product = ProductFactory(slug="shirt", name="Linen shirt")
    VariantFactory(product=product, stock=30)
    return product


@pytest.fixture
def cache_reads(monkeypatch):
    """Every read of the default cache, as (method, keys), and every session load(). The
    locmem cache's get_many calls get per key (Redis's is one MGET): those are not counted."""
    cache, reads, inside = caches["default"], [], []
    get, get_many, load = cache.get, cache.get_many, SessionStore.load

    def counting_get(key, *args, **kwargs):
        if not inside:
            reads.append(("get", [key]))
        return get(key, *args, **kwargs)

    def counting_get_many(keys, *args, **kwargs):
        reads.append(("get_many", list(keys)))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    def counting_load(self):
        reads.append(("session load", [self.session_key]))
        return load(self)

    monkeypatch.setattr(cache, "get", counting_get)
    monkeypatch.setattr(cache, "get_many", counting_get_many)
    monkeypatch.setattr(SessionStore, "load", counting_load)
    return reads


def test_a_hit_for_a_shopper_with_a_cart_reads_the_cache_once(product, cache_reads):
    shopper = shopper_with(product, 2)
    assert shopper.get("/products/shirt/")["X-Page-Cache"] in ("hit", "miss")
    cache_reads.clear()
    response = shopper.get("/products/shirt/")
    assert response["X-Page-Cache"] == "hit"
    assert cart_count(response.content.decode()) == "2"
    assert [method for method, _keys in cache_reads] == ["get_many"]
    (_method, keys), session_key = cache_reads[0], shopper.cookies["sessionid"].value
    assert keys[0] == catalogue_cache.VERSION_KEY
    assert any(key.endswith(session_key) for key in keys)  # the visitor's own session


def test_a_session_the_cache_lost_is_read_from_the_database(product, cache_reads):
    shopper = shopper_with(product, 3)
    shopper.get("/products/shirt/")
    session_key = shopper.cookies["sessionid"].value
    caches["default"].delete(SessionStore(session_key).cache_key)
    cache_reads.clear()
    response = shopper.get("/products/shirt/")
    assert response["X-Page-Cache"] == "hit"
    assert cart_count(response.content.decode()) == "3"
    assert ("session load", [session_key]) in cache_reads


def test_two_shoppers_each_get_their_own_cart_from_the_one_read(product):
    first, second = shopper_with(product, 1), shopper_with(product, 4)
    for _ in range(2):
        assert cart_count(first.get("/products/shirt/").content.decode()) == "1"
        assert cart_count(second.get("/products/shirt/").content.decode()) == "4"
        assert cart_count(Client().get("/products/shirt/").content.decode()) in (None, "0")


def test_a_page_stored_at_an_older_version_is_not_served(product):
    visitor = Client()
    visitor.get("/products/shirt/")
    Product.objects.filter(pk=product.pk).update(name="Hemp shirt")  # no signal: no bump
    cached = visitor.get("/products/shirt/")
    assert cached["X-Page-Cache"] == "hit" and b"Linen shirt" in cached.content
    bump_catalogue_version()
    fresh = visitor.get("/products/shirt/")
    assert fresh["X-Page-Cache"] == "miss"
    assert b"Hemp shirt" in fresh.content and b"Linen shirt" not in fresh.content


def test_the_filter_form_lists_what_the_new_version_has(product):
    visitor = Client()
    assert b"Oat white" not in visitor.get("/products/").content
    VariantFactory(product=product, colour="Oat white", stock=5)  # bumps the version on commit
    bump_catalogue_version()  # the test's transaction never commits
    assert b"Oat white" in visitor.get("/products/?size=M").content


def test_kept_per_version_drops_its_values_with_the_version():
    kept = KeptPerVersion()
    kept.put("facets", {"sizes": ["M"]})
    assert kept.get("facets") == {"sizes": ["M"]}
    assert kept.get("frame") is None
    bump_catalogue_version()
    assert kept.get("facets") is None
    kept.put("frame", "page")
    assert kept.get("frame") == "page" and kept.get("facets") is None


def test_kept_per_version_expires_as_the_redis_copy_does(monkeypatch, settings):
    settings.CATALOGUE_CACHE_SECONDS = 300
    now = [1000.0]
    monkeypatch.setattr(catalogue_cache.time, "monotonic", lambda: now[0])
    kept = KeptPerVersion()
    kept.put("facets", "a")
    now[0] += 299
    assert kept.get("facets") == "a"
    now[0] += 2
    assert kept.get("facets") is None
    kept.put("facets", "b")
    assert kept.get("facets") == "b"


def test_kept_per_version_keeps_nothing_when_the_cache_cannot_tell_the_version(monkeypatch):
    kept = KeptPerVersion()
    kept.put("facets", "a")
    monkeypatch.setattr(catalogue_cache, "reliable_catalogue_version", lambda: None)
    assert kept.get("facets") is None
    kept.put("facets", "b")
    monkeypatch.undo()
    assert kept.get("facets") == "a"


def test_a_new_filter_stores_its_grid_and_its_page_in_one_call(product, monkeypatch):
    # The locmem cache's set_many calls set per key (Redis's is one pipeline): not counted.
    cache, writes, inside = caches["default"], [], []
    set_one, set_many = cache.set, cache.set_many

    def counting_set(key, *args, **kwargs):
        if not inside:
            writes.append(("set", [key]))
        return set_one(key, *args, **kwargs)

    def counting_set_many(data, *args, **kwargs):
        writes.append(("set_many", sorted(data)))
        inside.append(True)
        try:
            return set_many(data, *args, **kwargs)
        finally:
            inside.pop()

    visitor = Client()
    visitor.get("/products/")  # facets, frame and cards are stored the first time
    monkeypatch.setattr(cache, "set", counting_set)
    monkeypatch.setattr(cache, "set_many", counting_set_many)
    response = visitor.get("/products/?size=M&max_price=123.45")
    assert response["X-Page-Cache"] == "miss"
    assert [method for method, _keys in writes] == ["set_many"]
    stored = writes[0][1]
    assert len(stored) == 2
    assert any(":grid:" in key for key in stored) and any(key.startswith("page:") for key in stored)
    writes.clear()
    grid = visitor.get("/products/?size=M&max_price=123.45", headers={"HX-Request": "true"})
    assert (
        grid.content.startswith(b'\n<section id="product-grid"')
        or b'id="product-grid"' in grid.content
    )
    assert [method for method, _keys in writes] == ["set_many"]  # only the htmx page itself
    assert all(key.startswith("page:") for key in writes[0][1])


def test_cards_kept_by_the_process_follow_the_version(product):
    from shop import selectors

    (first,) = selectors.product_cards([product.pk])
    assert "Linen shirt" in first
    Product.objects.filter(pk=product.pk).update(name="Hemp shirt")  # no signal: no bump
    version = catalogue_cache.catalogue_version()
    caches["default"].delete(selectors._card_key(product.pk, version, "en"))
    # Neither Redis nor the database is asked: the process's copy of this version.
    assert "Linen shirt" in selectors.product_cards([product.pk])[0]
    bump_catalogue_version()
    (fresh,) = selectors.product_cards([product.pk])
    assert "Hemp shirt" in fresh and "Linen shirt" not in fresh


def test_the_process_keeps_at_most_cards_kept_cards(shop_profile, monkeypatch):
    from shop import selectors

    monkeypatch.setattr(selectors, "CARDS_KEPT", 2)
    products = [ProductFactory() for _ in range(3)]
    for made in products:
        VariantFactory(product=made, stock=3)
    bump_catalogue_version()
    cards = selectors.product_cards([made.pk for made in products])
    assert len(cards) == 3
    assert len(selectors._kept_cards.get("en")) == 2
