import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shop.models import Product, ProductImage, ShopProfile, StockAdjustment, Variant

from ..factories import CategoryFactory, ProductFactory, VariantFactory, image_upload

pytestmark = pytest.mark.django_db


def product_data(category, **overrides):
    data = {
        "name_en": "Linen work shirt",
        "slug": "",
        "category": category.pk,
        "status": "active",
        "price": "189.00",
        "description_en": "A shirt.",
        "sizes": "S, M",
        "colours": "Navy, Oat white",
        "v|S|Navy|stock": "3",
        "v|M|Navy|stock": "0",
        "v|S|Oat white|stock": "5",
        "v|M|Oat white|stock": "1",
        "v|M|Oat white|price": "199.50",
        "v|S|Navy|sku": "lws-s-navy",
    }
    data.update(overrides)
    return data


def test_owner_creates_a_product_with_variant_grid_and_photo(owner_client, on_commit):
    category = CategoryFactory()
    data = product_data(category, new_images=[image_upload("a.jpg"), image_upload("b.jpg")])
    with on_commit():  # the renditions' task, after the commit
        response = owner_client.post(reverse("shop_manage:product_create"), data)
    product = Product.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shop_manage:product_edit", args=[product.pk])
    assert product.slug == "linen-work-shirt"
    variants = {(v.size, v.colour): v for v in product.variants.all()}
    assert set(variants) == {("S", "Navy"), ("M", "Navy"), ("S", "Oat white"), ("M", "Oat white")}
    assert variants[("S", "Navy")].sku == "LWS-S-NAVY"
    assert variants[("M", "Navy")].sku == "LINEN-WORK-SHIRT-M-NAVY"
    assert variants[("S", "Oat white")].stock == 5
    assert str(variants[("M", "Oat white")].price) == "199.50"
    assert variants[("M", "Oat white")].unit_price == variants[("M", "Oat white")].price
    assert variants[("S", "Navy")].unit_price == product.price
    assert list(product.images.values_list("position", flat=True)) == [1, 2]
    image = product.images.first()
    assert image.small.name.endswith("-400.webp") and image.large.name.endswith("-1200.webp")


def test_bad_cells_and_fields_are_shown_and_nothing_is_saved(owner_client):
    category = CategoryFactory()
    VariantFactory(sku="TAKEN")
    before = Variant.objects.count()
    data = product_data(
        category,
        price="-5",
        **{"v|S|Navy|stock": "-2", "v|M|Navy|sku": "taken", "v|S|Oat white|price": "12.345"},
    )
    response = owner_client.post(reverse("shop_manage:product_create"), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Stock must be a whole number" in html
    assert "belongs to another product" in html
    assert "Price must be an amount" in html
    assert "greater than or equal to 0" in html
    # What the owner typed is kept.
    assert 'value="-2"' in html and 'value="TAKEN"' in html
    assert Product.objects.filter(name="Linen work shirt").count() == 0
    assert Variant.objects.count() == before


def test_a_non_image_upload_is_refused_with_a_message(owner_client):
    category = CategoryFactory()
    fake = SimpleUploadedFile("photo.jpg", b"not an image", "image/jpeg")
    response = owner_client.post(
        reverse("shop_manage:product_create"), product_data(category, new_images=[fake])
    )
    assert response.status_code == 422
    assert "photo.jpg: This file is not an image" in response.content.decode()
    assert not Product.objects.exists()


def test_update_grid_redraws_without_saving(owner_client):
    category = CategoryFactory()
    data = product_data(category, sizes="S, M, L", _regrid="1")
    response = owner_client.post(
        reverse("shop_manage:product_create"), data, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="variant-grid"')
    assert 'name="v|L|Navy|stock"' in html
    assert 'name="v|S|Oat white|stock" value="5"' in html  # typed values survive the redraw
    assert not Product.objects.exists()


def test_editing_keeps_removed_combinations_as_not_offered(owner_client):
    product = ProductFactory(slug="shirt", name="Shirt")
    kept = VariantFactory(product=product, size="M", colour="Navy", stock=4, sku="SH-M")
    dropped = VariantFactory(product=product, size="L", colour="Navy", stock=2, sku="SH-L")
    form = owner_client.get(reverse("shop_manage:product_edit", args=[product.pk])).content.decode()
    assert 'id="id_sizes" value="M, L"' in form  # in size order, whatever order they were made
    data = product_data(
        product.category,
        name="Shirt",
        slug="shirt",
        sizes="M",
        colours="Navy",
        **{"v|M|Navy|stock": "7", "v|M|Navy|sku": "SH-M"},
    )
    response = owner_client.post(reverse("shop_manage:product_edit", args=[product.pk]), data)
    assert response.status_code == 302
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert (kept.stock, kept.is_active) == (7, True)
    assert dropped.is_active is False and dropped.stock == 2
    public = owner_client.get(product.get_absolute_url()).content.decode()
    assert f'value="{dropped.pk}"' not in public


def test_duplicate_makes_a_draft_copy_with_new_skus(owner_client):
    product = ProductFactory(slug="shirt", name="Shirt")
    VariantFactory(product=product, sku="SH-M", stock=9)
    response = owner_client.post(reverse("shop_manage:product_duplicate", args=[product.pk]))
    copy = Product.objects.exclude(pk=product.pk).get()
    assert response["Location"] == reverse("shop_manage:product_edit", args=[copy.pk])
    assert copy.status == Product.Status.DRAFT and copy.slug == "shirt-copy"
    variant = copy.variants.get()
    assert variant.sku == "SH-M-C" and variant.stock == 0
    owner_client.post(reverse("shop_manage:product_duplicate", args=[product.pk]))
    assert Product.objects.filter(slug="shirt-copy-2").exists()


def test_archive_hides_the_product(owner_client, client):
    product = ProductFactory(slug="shirt")
    owner_client.post(reverse("shop_manage:product_archive", args=[product.pk]))
    product.refresh_from_db()
    assert product.status == Product.Status.ARCHIVED
    assert client.get("/products/shirt/").status_code == 404


def test_get_on_an_action_url_changes_nothing(owner_client):
    product = ProductFactory(slug="shirt")
    assert (
        owner_client.get(reverse("shop_manage:product_archive", args=[product.pk])).status_code
        == 405
    )
    product.refresh_from_db()
    assert product.status == Product.Status.ACTIVE


def test_stock_adjustment_is_logged_and_cannot_go_negative(owner_client, owner):
    variant = VariantFactory(stock=2)
    url = reverse("shop_manage:stock_adjust", args=[variant.pk])
    owner_client.post(url, {"delta": "5", "reason": "Delivery from the floor"})
    variant.refresh_from_db()
    assert variant.stock == 7
    log = StockAdjustment.objects.get()
    assert (log.delta, log.stock_after, log.acting_user) == (5, 7, owner)
    response = owner_client.post(url, {"delta": "-8", "reason": "Count"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Only 7 in stock" in response.content.decode()
    variant.refresh_from_db()
    assert variant.stock == 7 and StockAdjustment.objects.count() == 1


def test_stock_page_lists_sold_out_variants(owner_client):
    VariantFactory(sku="EMPTY-1", stock=0)
    VariantFactory(sku="FULL-1", stock=50)
    html = owner_client.get(
        reverse("shop_manage:stock_list"), {"show": "sold_out"}
    ).content.decode()
    assert "EMPTY-1" in html and "FULL-1" not in html


def test_images_reorder_alt_and_delete(owner_client):
    product = ProductFactory()
    owner_client.post(
        reverse("shop_manage:image_upload", args=[product.pk]),
        {"images": [image_upload("a.jpg"), image_upload("b.jpg"), image_upload("c.jpg")]},
    )
    first, second, third = product.images.all()
    url = lambda image: reverse("shop_manage:image_action", args=[product.pk, image.pk])  # noqa: E731
    owner_client.post(url(third), {"action": "up"})
    assert list(product.images.values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]
    owner_client.post(url(first), {"action": "alt", "alt": "Navy shirt, front"})
    first.refresh_from_db()
    assert first.alt == "Navy shirt, front"
    response = owner_client.post(url(second), {"action": "delete"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="image-list"' in response.content.decode()
    assert not ProductImage.objects.filter(pk=second.pk).exists()


def test_image_of_another_product_cannot_be_touched(owner_client):
    product, other = ProductFactory(), ProductFactory()
    owner_client.post(
        reverse("shop_manage:image_upload", args=[other.pk]), {"images": [image_upload()]}
    )
    image = other.images.get()
    response = owner_client.post(
        reverse("shop_manage:image_action", args=[product.pk, image.pk]), {"action": "delete"}
    )
    assert response.status_code == 404
    assert ProductImage.objects.filter(pk=image.pk).exists()


def test_shop_profile_edit_and_bad_currency(owner_client, client):
    url = reverse("shop_manage:shop_profile")
    data = {
        "name_en": "Jinghe Works",
        "story_en": "Since 2004.",
        "currency": "usd",
        "location_en": "Yichang",
        "shipping_flat_rate": "15",
    }
    response = owner_client.post(url, {**data, "logo_upload": image_upload("logo.png")})
    assert response.status_code == 302
    profile = ShopProfile.load()
    assert (profile.name, profile.currency) == ("Jinghe Works", "USD")
    assert profile.logo.name.endswith(".webp")
    bad = owner_client.post(url, {**data, "currency": "U5D"})
    assert bad.status_code == 422 and "three-letter" in bad.content.decode()
    assert ShopProfile.load().currency == "USD"


def test_product_list_search_and_status_filter(owner_client):
    ProductFactory(name="Linen shirt", status=Product.Status.DRAFT)
    ProductFactory(name="Wool coat")
    html = owner_client.get(reverse("shop_manage:product_list"), {"q": "linen"}).content.decode()
    assert "Linen shirt" in html and "Wool coat" not in html
    html = owner_client.get(
        reverse("shop_manage:product_list"), {"status": "active"}
    ).content.decode()
    assert "Wool coat" in html and "Linen shirt" not in html
