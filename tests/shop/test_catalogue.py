import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shop.images import clean_image
from shop.models import Product
from shop.services import add_images

from ..factories import CategoryFactory, ProductFactory, VariantFactory, image_bytes

pytestmark = pytest.mark.django_db

_IMAGE = None


def shared_image():
    global _IMAGE
    if _IMAGE is None:
        _IMAGE = clean_image(SimpleUploadedFile("p.jpg", image_bytes(size=(40, 50)), "image/jpeg"))
    return _IMAGE


def product_with(variants=2, images=1, **kwargs):
    product = ProductFactory(**kwargs)
    sizes = ["XS", "S", "M", "L", "XL"]
    for n in range(variants):
        VariantFactory(product=product, size=sizes[n % 5], colour=f"C{n // 5}", stock=n % 3)
    add_images(product, [shared_image()] * images)
    return product


def grid_slugs(client, **params) -> set[str]:
    html = client.get(reverse("shop:product_list"), params).content.decode()
    return {p.slug for p in Product.objects.all() if f'href="/products/{p.slug}/"' in html}


def test_filters_by_category_size_colour_price_and_stock(client):
    shirts, trousers = CategoryFactory(slug="shirts"), CategoryFactory(slug="trousers")
    a = ProductFactory(slug="a", category=shirts, price=Decimal("100"))
    b = ProductFactory(slug="b", category=trousers, price=Decimal("300"))
    c = ProductFactory(slug="c", category=shirts, price=Decimal("200"))
    ProductFactory(slug="draft", category=shirts, status=Product.Status.DRAFT)
    VariantFactory(product=a, size="M", colour="Navy", stock=0)
    VariantFactory(product=b, size="M", colour="Rust", stock=2)
    VariantFactory(product=c, size="XL", colour="Navy", stock=1)
    assert grid_slugs(client) == {"a", "b", "c"}
    assert grid_slugs(client, category="shirts") == {"a", "c"}
    assert grid_slugs(client, size="M") == {"a", "b"}
    assert grid_slugs(client, size="M", in_stock="on") == {"b"}
    assert grid_slugs(client, colour="Navy") == {"a", "c"}
    assert grid_slugs(client, min_price="150") == {"b", "c"}
    assert grid_slugs(client, max_price="250", min_price="150") == {"c"}
    assert grid_slugs(client, q="nothing-matches") == set()


def test_search_and_sort(client):
    ProductFactory(slug="cheap", name="Linen shirt", price=Decimal("50"))
    ProductFactory(
        slug="dear", name="Wool coat", price=Decimal("900"), description="warm linen lining"
    )
    ProductFactory(slug="mid", name="Cotton tee", price=Decimal("99"))
    assert grid_slugs(client, q="linen") == {"cheap", "dear"}
    html = client.get(reverse("shop:product_list"), {"sort": "price_desc"}).content.decode()
    assert (
        html.index("/products/dear/")
        < html.index("/products/mid/")
        < html.index("/products/cheap/")
    )
    html = client.get(reverse("shop:product_list"), {"sort": "price_asc"}).content.decode()
    assert (
        html.index("/products/cheap/")
        < html.index("/products/mid/")
        < html.index("/products/dear/")
    )


def test_sort_by_rating_uses_the_rank_not_the_raw_mean(client):
    ProductFactory(slug="one-five-star", rating_count=1, rating_mean=Decimal("5"), rating_rank=4.1)
    ProductFactory(slug="many-good", rating_count=200, rating_mean=Decimal("4.8"), rating_rank=4.78)
    html = client.get(reverse("shop:product_list"), {"sort": "rating"}).content.decode()
    assert html.index("/products/many-good/") < html.index("/products/one-five-star/")


def test_paging(client, settings):
    settings.CATALOGUE_PAGE_SIZE = 2
    for n in range(5):
        ProductFactory(slug=f"p{n}")
    first = client.get(reverse("shop:product_list"))
    third = client.get(reverse("shop:product_list"), {"page": 3})
    assert "Page 1 of 3" in first.content.decode()
    assert "Page 3 of 3" in third.content.decode()
    assert third.content.decode().count('class="product-card"') == 1


def test_bad_filter_values_give_a_message_not_an_error(client):
    ProductFactory(slug="x")
    response = client.get(reverse("shop:product_list"), {"min_price": "cheap", "page": "zz"})
    assert response.status_code == 200
    assert "Min price" in response.content.decode() and "errorlist" in response.content.decode()


def test_htmx_request_gets_only_the_grid(client):
    ProductFactory(slug="x")
    response = client.get(reverse("shop:product_list"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="product-grid"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    # A history restore (cache miss after back) needs the whole page.
    full = client.get(
        reverse("shop:product_list"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in full.content.decode()


def test_a_change_to_a_product_is_seen_at_once_despite_the_cache(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory(slug="x", name="Old name")
    assert "Old name" in client.get(reverse("shop:product_list")).content.decode()
    product.name = "New name"
    with django_capture_on_commit_callbacks(execute=True):
        product.save()
    assert "New name" in client.get(reverse("shop:product_list")).content.decode()


def test_user_text_is_escaped(client):
    ProductFactory(slug="x", name="<script>alert(1)</script>")
    html = client.get(reverse("shop:product_list")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_catalogue_served_from_cache_costs_nothing(client, django_assert_num_queries):
    for i in range(5):
        product_with(slug=f"g{i}")
    client.get(reverse("shop:product_list"))
    with django_assert_num_queries(0):  # the whole page from the page cache
        client.get(reverse("shop:product_list"))


def test_product_page_shows_picker_with_sold_out_disabled(client):
    product = ProductFactory(
        slug="shirt", size_chart="Size | Chest\nM | 100", material="Linen", care="Cold wash"
    )
    VariantFactory(product=product, size="M", colour="Navy", stock=2)
    sold_out = VariantFactory(product=product, size="L", colour="Navy", stock=0)
    response = client.get(reverse("shop:product_detail", args=["shirt"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{sold_out.pk}" disabled' in html
    assert "Size chart" in html and '<th scope="col">Chest</th>' in html
    assert "Linen" in html and "Cold wash" in html
    assert "Only 2 left" in html


def test_draft_and_archived_products_are_not_public(client):
    ProductFactory(slug="draft", status=Product.Status.DRAFT)
    ProductFactory(slug="gone", status=Product.Status.ARCHIVED)
    assert client.get("/products/draft/").status_code == 404
    assert client.get("/products/gone/").status_code == 404


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    data = json.loads(response.content)
    assert data["database"] == "ok"
    assert "broker" in data and "dispatcher_last_run" in data
    assert response.status_code == (200 if data["broker"] == "ok" else 503)
