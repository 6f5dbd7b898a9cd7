"""The catalogue index (shop.catalogue_index) answers every filter as the SQL does.

catalogue_products() is the reference: for random combinations of category, size, colour,
stock, price range, sort and search, the index gives the same products in the same order, and
the facets are the DISTINCTs over the offered variants.
"""

import random
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalogue_index import build, current_index
from shop.models import Product, Variant, size_sort_key
from shop.selectors import catalogue_page, catalogue_products

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["Navy", "Rust", "Oat"]


@pytest.fixture
def catalogue(shop_profile):
    rng = random.Random(18)
    categories = [CategoryFactory(slug=f"cat-{n}") for n in range(3)]
    for n in range(60):
        product = ProductFactory(
            slug=f"g-{n}",
            name=f"{rng.choice(['Linen', 'Wool', 'Denim'])} garment {n}",
            category=rng.choice(categories),
            price=Decimal(rng.choice([99, 150, 150, 199, 250, 320])),
            rating_rank=rng.choice([0, 0, 3.5, 4.1, 4.1]),
            rating_count=rng.choice([0, 2, 7]),
            status=rng.choice([Product.Status.ACTIVE] * 5 + [Product.Status.DRAFT]),
        )
        for size in rng.sample(SIZES, rng.randint(0, 3)):
            for colour in rng.sample(COLOURS, rng.randint(1, 2)):
                VariantFactory(
                    product=product,
                    size=size,
                    colour=colour,
                    stock=rng.choice([0, 0, 1, 8]),
                    is_active=rng.random() > 0.15,
                )
    # Some products created in the same instant: the -id tie-break decides their order.
    Product.objects.filter(pk__in=list(Product.objects.values_list("pk", flat=True)[:10])).update(
        created_at=Product.objects.order_by("pk").first().created_at
    )
    return categories


def random_filters(rng) -> dict:
    filters = {
        "category": rng.choice(["", "", "cat-0", "cat-1", "cat-2", "no-such"]),
        "size": rng.choice(["", "", *SIZES]),
        "colour": rng.choice(["", "", *COLOURS, "Pink"]),
        "in_stock": rng.random() < 0.4,
        "sort": rng.choice(["", "newest", "price_asc", "price_desc", "rating"]),
        "q": rng.choice(["", "", "", "linen", "WOOL", "garment 1"]),
        "min_price": rng.choice([None, None, Decimal("150"), Decimal("99.5")]),
        "max_price": rng.choice([None, None, Decimal("250"), Decimal("150.00")]),
    }
    return filters


def test_random_filter_combinations_match_the_sql(catalogue):
    index = build(1)
    rng = random.Random(7)
    checked_nonempty = 0
    for _ in range(300):
        filters = random_filters(rng)
        expected = list(catalogue_products(filters).values_list("id", flat=True))
        among = None
        if filters["q"]:
            among = set(catalogue_products({"q": filters["q"]}).values_list("id", flat=True))
        assert index.matching(filters, among) == expected, filters
        checked_nonempty += bool(expected)
    assert checked_nonempty > 100  # the combinations were not all empty


def test_facets_are_the_offered_sizes_and_colours(catalogue):
    index = build(1)
    offered = Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
    sizes = sorted(set(offered.values_list("size", flat=True)), key=size_sort_key)
    assert index.sizes == sizes
    assert index.colours == sorted(set(offered.values_list("colour", flat=True)))


def test_a_never_seen_filter_costs_no_query_once_index_and_cards_are_warm(catalogue, client):
    client.get("/products/")
    client.get("/products/?sort=price_asc")  # the cards of the cheapest are cached now
    for price in ("321.01", "999.99", "1234.5"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/products/?sort=price_asc&max_price={price}")
        assert response.status_code == 200
        assert len(queries) == 0, [q["sql"] for q in queries]
    # A text search asks PostgreSQL for its ids only: one query.
    with CaptureQueriesContext(connection) as queries:
        client.get("/products/?sort=price_asc&q=garment&max_price=998")
    assert len(queries) == 1


def test_the_index_follows_the_catalogue_version(catalogue, on_commit):
    first = current_index()
    assert current_index() is first
    product = Product.objects.visible().first()
    with on_commit():
        product.status = Product.Status.ARCHIVED
        product.save()
    second = current_index()
    assert second is not first and product.pk not in second.prices


def test_the_page_shows_the_cards_of_the_index_order(catalogue, client):
    page, cards = catalogue_page({"sort": "price_desc"}, 1)
    expected = list(catalogue_products({"sort": "price_desc"})[:24])
    assert list(page.object_list) == [p.pk for p in expected]
    assert len(cards) == len(expected)
    for product, card in zip(expected, cards, strict=True):
        assert f'href="{product.get_absolute_url()}"' in card
    assert page.paginator.count == catalogue_products({}).count()


def test_without_a_reliable_cache_the_sql_answers(catalogue, monkeypatch):
    import shop.catalogue_index as module

    monkeypatch.setattr(module, "reliable_catalogue_version", lambda: None)
    cache.clear()
    page, cards = catalogue_page({"size": "M", "sort": "price_asc"}, 1)
    expected = list(catalogue_products({"size": "M", "sort": "price_asc"})[:24])
    assert [p.pk for p in page.object_list] == [p.pk for p in expected]
    assert len(cards) == len(expected)
