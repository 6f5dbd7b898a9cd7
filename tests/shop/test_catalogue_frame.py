"""The catalogue's frame (shop.catalogue_frame): a filter combination nobody asked before gets
the page a whole render gives, follows catalogue changes at once, and keeps nothing of the
visitor whose request built it."""

import random
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from shop import catalogue_frame

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"[A-Za-z0-9]{64}")


@pytest.fixture
def catalogue(shop_profile):
    categories = [
        CategoryFactory(slug="shirts", name="Shirts"),
        CategoryFactory(slug="odd", name='Odd <"quoted"> & co'),
        CategoryFactory(slug="trousers", name="Trousers"),
    ]
    rng = random.Random(7)
    for n in range(30):
        product = ProductFactory(
            category=categories[n % 3], price=Decimal(rng.randint(50, 900)), name=f"Garment {n}"
        )
        for size, colour in (("S", "Navy"), ("M", 'Oat "white"'), ("XL", "Rust & red")):
            VariantFactory(product=product, size=size, colour=colour, stock=rng.choice([0, 3]))
    return categories


def combinations(count: int) -> list[dict]:
    rng = random.Random(2026)
    found = []
    for n in range(count):
        params = {}
        for name, choices in (
            ("category", ["", "shirts", "odd", "trousers", "nope"]),
            ("size", ["", "S", "M", "XL", "XXL"]),
            ("colour", ["", "Navy", 'Oat "white"', "Rust & red"]),
            ("sort", ["", "newest", "price_asc", "price_desc", "rating"]),
            ("q", ["", "", "Garment 1", '<b>"x"</b> & y']),
            ("min_price", ["", "", "100", "99.5"]),
        ):
            value = rng.choice(choices)
            if value:
                params[name] = value
        if rng.random() < 0.5:
            params["in_stock"] = "on"
        params["max_price"] = f"{rng.randint(100, 99999)}.{rng.randint(0, 99):02d}"
        if n % 5 == 0:
            params["page"] = "2"
        found.append(params)
    return found


def page(params: dict, client: Client | None = None) -> str:
    response = (client or Client()).get("/products/", params)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "miss"
    return TOKEN.sub("T" * 64, response.content.decode())


def test_a_new_filter_gets_the_page_a_whole_render_gives(catalogue, settings, monkeypatch):
    settings.CATALOGUE_PAGE_SIZE = 4  # several pages: the pager is in the grid
    builds = []
    real_build = catalogue_frame.build
    monkeypatch.setattr(catalogue_frame, "build", lambda *a: builds.append(1) or real_build(*a))
    asked = combinations(40)
    framed = [page(params) for params in asked]
    assert len(builds) == 1  # one frame for every combination of this version and language
    cache.clear()
    monkeypatch.setattr(catalogue_frame, "frame", lambda request, facets: None)
    whole = [page(params) for params in asked]
    for params, one, other in zip(asked, framed, whole, strict=True):
        assert one == other, params
    assert any(" selected>" in html for html in framed)
    assert any(" checked>" in html for html in framed)


def test_the_frame_follows_a_catalogue_change_at_once(
    catalogue, shop_profile, django_capture_on_commit_callbacks
):
    assert "Shirts" in page({"max_price": "101.01"})
    shirts = catalogue[0]
    shirts.name = "Overshirts"
    with django_capture_on_commit_callbacks(execute=True):
        shirts.save()
    shop_profile.name = "Renamed works"
    with django_capture_on_commit_callbacks(execute=True):
        shop_profile.save()
    html = page({"max_price": "101.02", "category": "shirts"})
    assert '<option value="shirts" selected>Overshirts</option>' in html
    assert "Renamed works" in html


def test_the_frame_keeps_nothing_of_the_visitor_who_built_it(catalogue, owner):
    shopper = Client()
    variant = catalogue[0].products.first().variants.filter(stock__gt=0).first()
    shopper.post("/cart/add/", {"variant": variant.pk, "quantity": 2})
    shopper_page = shopper.get("/products/", {"max_price": "500.01"}).content.decode()
    assert '<span class="cart-count">2</span>' in shopper_page
    stored = cache.get(catalogue_frame._key())
    frame, selects = stored
    assert not TOKEN.search(frame) and "\x00csrf\x00" in frame
    assert "cart-count" not in frame  # the cart is a marker, filled per answer

    owner_client = Client()
    owner_client.force_login(owner)
    owner_page = owner_client.get("/products/", {"max_price": "500.02"}).content.decode()
    assert "Manage" in owner_page

    stranger = Client()
    html = stranger.get("/products/", {"max_price": "500.03"}).content.decode()
    assert '<span class="cart-count">2</span>' not in html and "Manage" not in html
    tokens = {TOKEN.search(p).group(0) for p in (shopper_page, owner_page, html)}
    assert len(tokens) == 3  # each visitor their own token


def test_a_form_with_errors_is_rendered_whole(catalogue):
    html = Client().get("/products/", {"max_price": "lots"}).content.decode()
    assert 'class="filter-panel" id="filter-panel" open' in html
    assert 'class="errorlist' in html


def test_a_new_filter_costs_no_query_once_its_cards_are_cached(
    catalogue, django_assert_num_queries
):
    page({"max_price": "99999", "category": "shirts"})
    # The same products, a combination never asked: frame, facets, index and cards are warm.
    with django_assert_num_queries(0):
        page({"max_price": "99998.5", "category": "shirts", "sort": "newest"})
