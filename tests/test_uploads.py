"""Uploads are counted and their headers read before any picture is decoded, on every form.

Decoding a 6300 x 6300 photo takes about 2 s; the contact form used to decode all 12 posted
photos before it checked its limit of 4. Here every upload form gets more files than it takes,
or one file whose header declares a huge picture, with the decoder watched: it must not run.
"""

from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ImageFile

import shop.forms
from reviews import services as review_services
from reviews.models import Review, ReviewPhoto
from shop.images import clean_image
from shop.models import Product, ProductImage
from support import services as support_services
from support.models import Ticket, TicketAttachment

from .factories import ProductFactory, VariantFactory, image_bytes
from .reviews.helpers import delivered_order
from .shop.test_images import header_only_jpeg, header_only_png

pytestmark = pytest.mark.django_db

JPEG = image_bytes(size=(60, 80))


def photos(n: int, name: str = "photo") -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"{name}-{i}.jpg", JPEG, "image/jpeg") for i in range(n)]


class Watch:
    """Counts header checks, pipeline runs and pixel decodes (Pillow's ImageFile.load)."""

    def __init__(self, check, clean, load):
        self.check, self.clean, self.load = check, clean, load

    @property
    def decodes(self) -> int:
        return self.load.call_count + self.clean.call_count


@pytest.fixture
def watch():
    with (
        mock.patch("shop.forms.check_image", wraps=shop.forms.check_image) as check,
        mock.patch("shop.forms.clean_image", wraps=shop.forms.clean_image) as clean,
        mock.patch.object(
            ImageFile.ImageFile, "load", autospec=True, side_effect=ImageFile.ImageFile.load
        ) as load,
    ):
        yield Watch(check, clean, load)


def contact(**extra):
    return {"email": "a@example.com", "name": "A", "topic": "other", "body": "Hello", **extra}


# ---------------------------------------------------------------- the contact form
def test_twelve_photos_to_the_contact_form_are_refused_before_any_is_decoded(client, watch):
    response = client.post(reverse("support:new"), contact(photos=photos(12)))
    assert response.status_code == 422
    assert "At most 4 photos." in response.content.decode()
    assert watch.decodes == 0 and watch.check.call_count == 0
    assert not Ticket.objects.exists()


def test_the_watch_sees_decoding_when_the_count_is_allowed(client, watch):
    """The control for the tests above: four photos pass, and then each is decoded once."""
    response = client.post(reverse("support:new"), contact(photos=photos(4)))
    assert response.status_code == 302
    assert watch.clean.call_count == 4 and watch.load.call_count >= 4
    assert TicketAttachment.objects.count() == 4


def test_five_photos_one_over_the_contact_limit_are_refused(client, watch):
    response = client.post(reverse("support:new"), contact(photos=photos(5)))
    assert response.status_code == 422 and watch.decodes == 0
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "bomb",
    [
        lambda: header_only_png(50_000, 50_000),
        lambda: header_only_jpeg(50_000, 50_000),
        lambda: header_only_png(7_000, 7_000),  # 49 MP: past IMAGE_MAX_PIXELS, under Pillow's
    ],
    ids=["png-50000", "jpeg-50000", "png-7000"],
)
def test_one_huge_header_among_good_photos_refuses_the_post_before_decoding_any(
    client, watch, bomb
):
    files = photos(3) + [SimpleUploadedFile("huge.png", bomb(), "image/png")]
    response = client.post(reverse("support:new"), contact(photos=files))
    assert response.status_code == 422
    assert "huge.png" in response.content.decode()
    # Every header was read, none of the three good photos was decoded.
    assert watch.check.call_count == 4 and watch.decodes == 0
    assert not Ticket.objects.exists()


def test_more_files_than_any_form_takes_is_a_400_not_a_500(client, watch):
    too_many = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    response = client.post(reverse("support:new"), contact(photos=photos(too_many)))
    assert response.status_code == 400
    assert watch.decodes == 0 and not Ticket.objects.exists()


def test_the_file_bound_fits_the_largest_form():
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES >= shop.forms.MAX_IMAGES_PER_UPLOAD
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES < 100  # Django's default, far past any form


# ---------------------------------------------------------------- a customer's reply
def test_twelve_photos_in_a_customer_reply_are_refused_before_decoding(client, watch):
    ticket = support_services.open_ticket(
        email="mei@example.com", name="Mei", topic="size", body="Too small."
    )
    response = client.post(
        ticket.get_absolute_url(), {"body": "Here:", "nonce": "n-1", "photos": photos(12)}
    )
    assert response.status_code == 422
    assert "At most 4 photos." in response.content.decode()
    assert watch.decodes == 0 and watch.check.call_count == 0
    assert ticket.messages.count() == 1


def test_too_many_files_in_a_reply_is_a_400(client, watch):
    ticket = support_services.open_ticket(
        email="mei@example.com", name="Mei", topic="size", body="Too small."
    )
    too_many = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    response = client.post(
        ticket.get_absolute_url(), {"body": "Here:", "nonce": "n-1", "photos": photos(too_many)}
    )
    assert response.status_code == 400 and watch.decodes == 0
    assert ticket.messages.count() == 1


# ---------------------------------------------------------------- reviews
def review_data(line, **extra):
    prefix = f"line-{line.pk}"
    data = {"rating": 4, "fit": "true", "title": "Nice", "body": "Good.", "display_name": "Mei"}
    return {f"{prefix}-{key}": value for key, value in {**data, **extra}.items()}


def test_twelve_photos_to_the_review_form_are_refused_before_decoding(client, watch):
    order = delivered_order()
    line = order.lines.first()
    url = reverse("reviews:write", args=[review_services.review_token(order)])
    response = client.post(url, review_data(line, photos=photos(12)))
    assert response.status_code == 422
    assert "At most 4 photos." in response.content.decode()
    assert watch.decodes == 0 and watch.check.call_count == 0
    assert not Review.objects.exists()


def test_a_huge_header_in_a_review_is_refused_before_decoding(client, watch):
    order = delivered_order()
    line = order.lines.first()
    url = reverse("reviews:write", args=[review_services.review_token(order)])
    files = photos(1) + [SimpleUploadedFile("bomb.png", header_only_png(50_000, 50_000))]
    response = client.post(url, review_data(line, photos=files))
    assert response.status_code == 422 and watch.decodes == 0
    assert not Review.objects.exists()


def test_editing_counts_the_photos_a_review_already_has_before_decoding(client, watch):
    order = delivered_order()
    line = order.lines.first()
    written = review_services.publish_review(
        line,
        review_services.ReviewInput(
            rating=5, fit="true", title="Good", body="Well sewn.", display_name="Mei C."
        ),
        photos=[clean_image(p) for p in photos(3)],
    )
    watch.clean.reset_mock(), watch.load.reset_mock(), watch.check.reset_mock()
    url = reverse("reviews:edit", args=[review_services.review_token(order), written.pk])
    data = {"rating": 5, "fit": "true", "title": "Good", "body": "Still good."}
    response = client.post(url, {**data, "display_name": "Mei C.", "photos": photos(2)})
    assert response.status_code == 422
    assert "At most 1 photos." in response.content.decode()
    assert watch.decodes == 0
    assert ReviewPhoto.objects.filter(review=written).count() == 3


# ---------------------------------------------------------------- the owner's product photos
def test_thirteen_product_photos_are_refused_before_decoding(owner_client, watch):
    product = ProductFactory()
    url = reverse("shop_manage:image_upload", args=[product.pk])
    response = owner_client.post(url, {"images": photos(13)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "at most 12 images" in response.content.decode()
    assert watch.decodes == 0 and watch.check.call_count == 0
    assert not ProductImage.objects.exists()


def test_the_product_form_refuses_thirteen_new_photos_before_decoding(owner_client, watch):
    product = ProductFactory(slug="shirt")
    VariantFactory(product=product, size="M", colour="Navy", sku="SHIRT-M-NAVY")
    data = {
        "name_en": product.name,
        "slug": "shirt",
        "category": product.category_id,
        "status": "active",
        "price": "199.00",
        "sizes": "M",
        "colours": "Navy",
        "v|M|Navy|stock": "3",
        "v|M|Navy|sku": "SHIRT-M-NAVY",
        "new_images": photos(13),
    }
    response = owner_client.post(reverse("shop_manage:product_edit", args=[product.pk]), data)
    assert response.status_code == 422
    assert watch.decodes == 0
    assert not ProductImage.objects.exists()
    assert Product.objects.get(pk=product.pk).variants.get().stock == 5  # nothing saved


def test_a_huge_logo_header_is_refused_before_decoding(owner_client, watch):
    response = owner_client.post(
        reverse("shop_manage:shop_profile"),
        {
            "name_en": "Workshop",
            "currency": "CNY",
            "shipping_flat_rate": "15.00",
            "logo_upload": SimpleUploadedFile("logo.png", header_only_png(50_000, 50_000)),
        },
    )
    assert response.status_code == 422
    assert "too large" in response.content.decode()
    assert watch.load.call_count == 0


def test_a_reviewed_line_with_photos_still_works(client):
    """The bounds do not refuse a normal review with photos."""
    order = delivered_order()
    line = order.lines.first()
    url = reverse("reviews:write", args=[review_services.review_token(order)])
    response = client.post(url, review_data(line, photos=photos(4)))
    assert response.status_code == 302
    assert ReviewPhoto.objects.filter(review__order_line=line).count() == 4
