"""Readable pinyin slugs, unique and bounded, and old addresses that keep answering."""

import pytest
from django.urls import reverse

from shop.models import Category, CategoryOldSlug, Product, ProductOldSlug
from shop.slugs import slug_text, unique_slug

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name, slug",
    [
        ("亚麻衬衫", "ya-ma-chen-shan"),
        ("亚麻T恤 XL码", "ya-ma-t-xu-xl-ma"),  # Latin and digits kept as words
        ("Café 衬衫2026", "cafe-chen-shan-2026"),
        ("绿色连衣裙", "lv-se-lian-yi-qun"),
        ("重庆，夏季！", "chong-qing-xia-ji"),  # Chinese punctuation dropped
        ("Linen work shirt", "linen-work-shirt"),
        ("，。！", ""),
    ],
)
def test_slug_text(name, slug):
    assert slug_text(name) == slug


def test_a_taken_slug_gets_2_then_3():
    ProductFactory(slug="ya-ma-chen-shan")
    assert unique_slug("亚麻衬衫", Product) == "ya-ma-chen-shan-2"
    ProductFactory(slug="ya-ma-chen-shan-2")
    assert unique_slug("亚麻衬衫", Product) == "ya-ma-chen-shan-3"


def test_an_old_address_of_another_product_is_not_given_out_again():
    other = ProductFactory(slug="now-elsewhere")
    ProductOldSlug.objects.create(product=other, slug="ya-ma-chen-shan")
    assert unique_slug("亚麻衬衫", Product, old_slugs=ProductOldSlug) == "ya-ma-chen-shan-2"


def test_a_long_chinese_name_fits_the_column_suffix_included():
    limit = Product._meta.get_field("slug").max_length
    name = "亚麻" * 100  # 400 characters of pinyin words
    first = unique_slug(name, Product)
    assert len(first) <= limit and not first.endswith("-")
    ProductFactory(slug=first)
    second = unique_slug(name, Product)
    assert len(second) <= limit and second.endswith("-2")
    category = unique_slug("连衣裙" * 40, Category)
    assert len(category) <= Category._meta.get_field("slug").max_length


def edit_post(product, **overrides):
    variant = product.variants.get()
    data = {
        "name_zh_hans": product.name_zh_hans or "",
        "name_en": product.name_en or "",
        "slug": product.slug,
        "category": product.category_id,
        "status": product.status,
        "price": str(product.price),
        "sizes": variant.size,
        "colours": variant.colour,
        f"v|{variant.size}|{variant.colour}|stock": str(variant.stock),
        f"v|{variant.size}|{variant.colour}|sku": variant.sku,
    }
    return {**data, **overrides}


def test_renaming_a_product_moves_its_slug_and_the_old_address_redirects(
    owner_client, client, on_commit
):
    product = ProductFactory(name_en="Linen shirt", slug="linen-shirt")
    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M", stock=2)
    with on_commit():  # each edit commits, as a request does: cached pages follow it
        response = owner_client.post(
            product.get_manage_url(), edit_post(product, name_en="Linen work shirt")
        )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.slug == "linen-work-shirt"
    old = client.get("/products/linen-shirt/")
    assert old.status_code == 301
    assert old["Location"] == "/products/linen-work-shirt/"
    assert client.get("/products/linen-work-shirt/").status_code == 200
    # Renamed again: both old addresses lead to the newest.
    with on_commit():
        owner_client.post(product.get_manage_url(), edit_post(product, name_en="Hemp shirt"))
    product.refresh_from_db()
    assert product.slug == "hemp-shirt"
    assert client.get("/products/linen-shirt/")["Location"] == "/products/hemp-shirt/"
    assert client.get("/products/linen-work-shirt/")["Location"] == "/products/hemp-shirt/"
    assert set(product.old_slugs.values_list("slug", flat=True)) == {
        "linen-shirt",
        "linen-work-shirt",
    }


def test_a_slug_the_owner_chose_stays_when_the_name_changes(owner_client):
    product = ProductFactory(name_en="Linen shirt", slug="summer-hero")
    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M", stock=2)
    owner_client.post(product.get_manage_url(), edit_post(product, name_en="Linen work shirt"))
    product.refresh_from_db()
    assert product.slug == "summer-hero"
    assert not ProductOldSlug.objects.exists()


def test_a_slug_the_owner_types_keeps_the_old_one_as_an_address(owner_client, client):
    product = ProductFactory(name_en="Linen shirt", slug="linen-shirt")
    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M", stock=2)
    owner_client.post(product.get_manage_url(), edit_post(product, slug="ya-ma-chen-shan"))
    assert client.get("/products/linen-shirt/")["Location"] == "/products/ya-ma-chen-shan/"
    # Back to the first slug: it is live again, not an old address of itself.
    owner_client.post(product.get_manage_url(), edit_post(product, slug="linen-shirt"))
    assert client.get("/products/linen-shirt/").status_code == 200
    assert set(ProductOldSlug.objects.values_list("slug", flat=True)) == {"ya-ma-chen-shan"}


def test_another_products_old_address_cannot_be_typed_as_a_slug(owner_client):
    moved = ProductFactory(slug="new-home")
    ProductOldSlug.objects.create(product=moved, slug="old-home")
    product = ProductFactory(name_en="Coat", slug="coat")
    VariantFactory(product=product, size="M", colour="Navy", sku="C-M", stock=2)
    response = owner_client.post(product.get_manage_url(), edit_post(product, slug="old-home"))
    assert response.status_code == 422
    assert "still leads there" in response.content.decode()


def test_an_archived_products_old_address_is_a_404(client):
    product = ProductFactory(slug="gone", status=Product.Status.ARCHIVED)
    ProductOldSlug.objects.create(product=product, slug="was-here")
    assert client.get("/products/was-here/").status_code == 404
    assert client.get("/products/never-was/").status_code == 404


def test_a_renamed_categorys_old_slug_redirects_the_catalogue(owner_client, client):
    category = CategoryFactory(name="Shirts", slug="shirts")
    response = owner_client.post(
        reverse("shop_manage:category_edit", args=[category.pk]),
        {"name_zh_hans": "衬衫", "name_en": "Shirts and tops", "slug": "", "position": "0"},
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.slug == "shirts-and-tops"
    assert CategoryOldSlug.objects.get().slug == "shirts"
    old = client.get("/products/", {"category": "shirts", "sort": "price_asc"})
    assert old.status_code == 301
    assert old["Location"] == "/products/?category=shirts-and-tops&sort=price_asc"
    assert client.get(old["Location"]).status_code == 200
