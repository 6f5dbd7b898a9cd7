"""What each of the shop's pages costs in queries, pinned at two sizes of what it shows.

A cold cache each time (the first visitor's cost); the signed-in pages include reading the
session and the user.
"""

from itertools import count

import pytest
from django.urls import reverse

from shop.models import ImportJob

from ..factories import CategoryFactory, ProductFactory, VariantFactory
from ..reviews.helpers import delivered_order, review
from .test_catalogue import product_with

pytestmark = pytest.mark.django_db

SERIAL = count()


def products(n: int, **kwargs) -> None:
    for _ in range(n):
        product_with(variants=2, images=2, slug=f"g-{next(SERIAL)}", featured=True, **kwargs)


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def test_home(client, pin_queries):
    # At least four featured garments (with fewer, the newest fill the row: one more read).
    pin_queries(client, 5, lambda n: products(n) or reverse("shop:home"), sizes=(4, 9))


def test_catalogue(client, pin_queries):
    # Past one page of the grid at the second size.
    # The profile, the catalogue index (products, variants), categories, the cards (3).
    pin_queries(client, 7, lambda n: products(n) or reverse("shop:product_list"), sizes=(6, 30))


def test_catalogue_grid_fragment(client, pin_queries):
    page = lambda n: products(n) or reverse("shop:product_list") + "?sort=price_asc"  # noqa: E731
    # The profile, the catalogue index (2, once per catalogue version and process), the cards (3).
    pin_queries(client, 6, page, headers={"HX-Request": "true"})


def _reviewed_product(n: int) -> str:
    """A new product with n sizes, n photos and n reviews, each from a delivered order."""
    product = product_with(variants=n, images=n, slug=f"p-{next(SERIAL)}")
    for variant in product.variants.all():
        variant.stock = 5
        variant.save()
        review(delivered_order(variant).lines.get(), rating=1 + variant.pk % 5)
    return product.get_absolute_url()


def test_product_page(client, pin_queries):
    pin_queries(client, 8, _reviewed_product, sizes=(2, 5))


def test_product_page_review_list_fragment(client, pin_queries):
    headers = {"HX-Request": "true", "HX-Target": "review-list"}
    page = lambda n: _reviewed_product(n) + "?sort=lowest"  # noqa: E731
    pin_queries(client, 5, page, sizes=(2, 5), headers=headers)


# ----------------------------------------------------------------- the owner's pages
def test_manage_dashboard(owner_client, pin_queries):
    pin_queries(owner_client, 9, lambda n: products(n) or reverse("shop_manage:dashboard"))


def test_manage_product_list(owner_client, pin_queries):
    pin_queries(owner_client, 5, lambda n: products(n) or reverse("shop_manage:product_list"))


def test_manage_product_list_search(owner_client, pin_queries):
    page = lambda n: products(n) or reverse("shop_manage:product_list") + "?q=g-&status=active"  # noqa: E731
    pin_queries(owner_client, 5, page)


def test_manage_product_form(owner_client, pin_queries):
    def page(n):
        CategoryFactory.create_batch(n)
        product = product_with(variants=n, images=n, slug=f"f-{next(SERIAL)}")
        return reverse("shop_manage:product_edit", args=[product.pk])

    pin_queries(owner_client, 7, page)


def test_manage_new_product_form(owner_client, pin_queries):
    page = lambda n: CategoryFactory.create_batch(n) and reverse("shop_manage:product_create")  # noqa: E731
    pin_queries(owner_client, 4, page)


def test_manage_stock_list(owner_client, pin_queries):
    def page(n):
        for _ in range(n):
            VariantFactory(product=ProductFactory(slug=f"s-{next(SERIAL)}"), stock=1)
        return reverse("shop_manage:stock_list") + "?show=all"

    pin_queries(owner_client, 5, page)


def test_manage_shop_profile(owner_client, pin_queries):
    pin_queries(owner_client, 4, lambda n: reverse("shop_manage:shop_profile"))


def test_manage_imports(owner_client, owner, pin_queries):
    def page(n):
        for _ in range(n):
            ImportJob.objects.create(file="imports/x.csv", created_by=owner)
        return reverse("shop_manage:product_import")

    pin_queries(owner_client, 4, page)
    job = ImportJob.objects.first()
    pin_queries(owner_client, 4, lambda n: reverse("shop_manage:import_status", args=[job.pk]))


def test_manage_product_export(owner_client, pin_queries):
    pin_queries(owner_client, 4, lambda n: products(n) or reverse("shop_manage:product_export"))
