"""HEIC/HEIF photos from phones: accepted on every upload, checked from the header, cleaned.

The files are made here with pillow-heif's encoder. Saving with an EXIF orientation of 6 makes
pillow-heif write the rotation as the container's `irot` box (as iPhones do), so "orientation
applied" means what a phone's gallery shows is what the shop stores.
"""

import io
import os
import struct
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pillow_heif.as_plugin import HeifImageFile

from reviews import services as review_services
from reviews.models import ReviewPhoto
from shop.images import ACCEPT, check_image, clean_image, register_heif
from shop.models import ProductImage
from support.models import Ticket, TicketAttachment

from ..factories import ProductFactory
from ..reviews.helpers import delivered_order

RED, BLUE = (220, 20, 20), (20, 20, 220)


def heic(size=(64, 32), *, exif: bytes | None = None, xmp: bytes | None = None) -> bytes:
    """A HEIC whose left half is red and right half blue."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    extra = {"exif": exif} if exif else {}
    if xmp:
        extra["xmp"] = xmp
    image.save(buffer, format="HEIF", quality=90, **extra)
    return buffer.getvalue()


def phone_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    exif[0x8825] = {1: "N", 2: (30.0, 41.0, 52.0), 3: "E", 4: (111.0, 17.0, 9.0)}
    return exif.tobytes()


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>SecretXMPHome</rdf:Description></x:xmpmeta>'


def phone_photo() -> bytes:
    return heic(exif=phone_exif(), xmp=XMP)


def declaring(width: int, height: int) -> bytes:
    """A real 64 x 64 HEIC (no clean-aperture box) whose `ispe` box declares width x height."""
    data = bytearray(heic(size=(64, 64)))
    assert b"clap" not in data  # else the crop box would cap the declared size
    ispe = data.index(b"ispe")
    data[ispe + 8 : ispe + 16] = struct.pack(">II", width, height)
    return bytes(data)


def upload(data: bytes, name: str = "IMG_0001.HEIC") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/heic")


@pytest.fixture
def heif_decoder():
    """pillow-heif's pixel decoder, watched: a header check must never call it."""
    with mock.patch.object(
        HeifImageFile, "load", autospec=True, side_effect=HeifImageFile.load
    ) as load:
        yield load


def stored_files() -> set[Path]:
    roots = [settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT]
    return {Path(d, f) for root in roots for d, _, names in os.walk(root) for f in names}


# ---------------------------------------------------------------- the pipeline
def test_the_opener_is_registered_at_app_start_once():
    assert "HEIF" in Image.OPEN
    ids = list(Image.ID)
    register_heif()
    assert Image.ID == ids  # a second call changes nothing


def test_the_source_really_carries_gps_xmp_and_a_rotation():
    data = phone_photo()
    assert b"PhoneMaker" in data and b"SecretXMPHome" in data and b"irot" in data
    with Image.open(io.BytesIO(data)) as original:
        assert original.format == "HEIF"
        assert original.getexif().get_ifd(0x8825)[1] == "N"


def test_a_heic_with_gps_is_stored_without_any_metadata_and_turned_upright():
    cleaned = clean_image(upload(phone_photo()))
    # Orientation 6 turns the 64 x 32 landscape into a 32 x 64 portrait, left half on top.
    assert (cleaned.width, cleaned.height) == (32, 64)
    for stored in [cleaned.master, *cleaned.renditions.values()]:
        stored.seek(0)
        raw = stored.read()
        for secret in (b"PhoneMaker", b"PhoneModel", b"SecretXMPHome", b"Exif", b"GPS"):
            assert secret not in raw
        with Image.open(io.BytesIO(raw)) as image:
            assert image.format == "WEBP"
            assert not image.getexif()
            assert not {"exif", "xmp", "icc_profile"} & set(image.info)
            image = image.convert("RGB")
            top, bottom = image.getpixel((16, 4)), image.getpixel((16, 60))
    red, blue = top, bottom
    assert red[0] > 150 and red[2] < 90, top  # the red half is on top: turned, not mirrored
    assert blue[2] > 150 and blue[0] < 90, bottom


def test_the_header_check_reads_a_heic_without_decoding_it(heif_decoder):
    assert check_image(upload(heic(size=(64, 64)))) == (64, 64)
    assert heif_decoder.call_count == 0


@pytest.mark.parametrize(
    "side, code",
    # 49 MP: past IMAGE_MAX_PIXELS (40 MP), under Pillow's own bomb limit; then past Pillow's.
    [(7_000, "too_many_pixels"), (10_000, "bomb"), (50_000, "bomb")],
)
def test_a_heic_bomb_is_refused_from_its_declared_size(side, code, heif_decoder):
    data = declaring(side, side)
    assert len(data) < 2_000
    with pytest.raises(ValidationError) as error:
        clean_image(upload(data))
    assert error.value.code == code
    assert "megapixels" in error.value.messages[0] or "too large" in error.value.messages[0]
    assert heif_decoder.call_count == 0


def _broken_stream() -> bytes:
    """A HEIC whose container parses but whose compressed picture is zeros."""
    data = bytearray(heic(size=(64, 64)))
    mdat = data.index(b"mdat")
    data[mdat + 4 :] = bytes(len(data) - mdat - 4)
    return bytes(data)


@pytest.mark.parametrize(
    "make, code",
    [
        (lambda: heic()[:200], "not_image"),  # cut inside the container
        (lambda: heic()[:40] + b"garbage" * 50, "not_image"),
        (lambda: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + os.urandom(300), "not_image"),
        (_broken_stream, "damaged"),
    ],
    ids=["truncated", "garbage-after-ftyp", "random-body", "broken-hevc"],
)
def test_a_broken_heic_is_refused_with_a_message(make, code):
    with pytest.raises(ValidationError) as error:
        clean_image(upload(make()))
    assert error.value.code == code
    assert error.value.messages[0]


def test_a_heic_that_decodes_larger_than_it_declared_is_refused():
    """Belt and braces: the size after decoding is checked against the same limit."""
    big = Image.new("RGB", (9_000, 5_000))
    with (
        mock.patch.object(HeifImageFile, "load", autospec=True),
        mock.patch("shop.images.ImageOps.exif_transpose", return_value=big),
    ):
        with pytest.raises(ValidationError) as error:
            clean_image(upload(heic(size=(64, 64))))
    assert error.value.code == "too_many_pixels"


# ---------------------------------------------------------------- every upload form
def test_every_photo_input_offers_heic(client, owner_client):
    product = ProductFactory()
    order = delivered_order()
    pages = [
        (client, reverse("support:new")),
        (client, reverse("reviews:write", args=[review_services.review_token(order)])),
        (owner_client, reverse("shop_manage:product_edit", args=[product.pk])),
        (owner_client, reverse("shop_manage:shop_profile")),
    ]
    for who, url in pages:
        html = who.get(url).content.decode()
        assert 'type="file"' in html, url
        for chunk in html.split('type="file"')[1:]:
            tag = chunk.split(">", 1)[0]
            if "csv" in tag:
                continue
            assert "image/heic" in tag and ".heic" in tag, (url, tag)
    assert "image/heic" in ACCEPT and "image/jpeg" in ACCEPT


@pytest.mark.django_db
def test_an_owner_uploads_a_heic_product_photo(owner_client, on_commit):
    product = ProductFactory()
    url = reverse("shop_manage:image_upload", args=[product.pk])
    with on_commit():  # the renditions' task, after the commit
        response = owner_client.post(
            url, {"images": [upload(phone_photo())]}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    image = ProductImage.objects.get(product=product)
    assert (image.width, image.height) == (32, 64)
    for field in (image.original, image.small, image.large):
        raw = field.read()
        assert b"PhoneMaker" not in raw and b"SecretXMPHome" not in raw
        with Image.open(io.BytesIO(raw)) as stored:
            assert stored.format == "WEBP" and not stored.getexif()


@pytest.mark.django_db
def test_a_buyer_sends_a_heic_photo_with_a_question(client):
    data = {"email": "a@example.com", "name": "A", "topic": "other", "body": "Look"}
    response = client.post(reverse("support:new"), {**data, "photos": [upload(phone_photo())]})
    assert response.status_code == 302
    attachment = TicketAttachment.objects.get()
    assert b"PhoneMaker" not in attachment.original.read()


@pytest.mark.django_db
def test_a_buyer_reviews_with_a_heic_photo(client):
    order = delivered_order()
    line = order.lines.first()
    prefix = f"line-{line.pk}"
    fields = {"rating": 5, "fit": "true", "title": "Nice", "body": "Good.", "display_name": "Mei"}
    data = {f"{prefix}-{k}": v for k, v in fields.items()}
    data[f"{prefix}-photos"] = [upload(phone_photo())]
    url = reverse("reviews:write", args=[review_services.review_token(order)])
    assert client.post(url, data).status_code == 302
    photo = ReviewPhoto.objects.get()
    assert (photo.width, photo.height) == (32, 64)
    assert b"GPS" not in photo.original.read()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [declaring(7_000, 7_000), declaring(50_000, 50_000), _broken_stream(), b"ftypheic"]
)
def test_a_bad_heic_to_the_forms_is_a_422_with_its_name_and_writes_nothing(
    client, owner_client, data
):
    before = stored_files()
    product = ProductFactory()
    url = reverse("shop_manage:image_upload", args=[product.pk])
    response = owner_client.post(
        url, {"images": [upload(data, "bomb.heic")]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "bomb.heic" in response.content.decode()
    contact = {"email": "a@example.com", "name": "A", "topic": "other", "body": "Look"}
    response = client.post(reverse("support:new"), {**contact, "photos": [upload(data, "x.heic")]})
    assert response.status_code == 422 and "x.heic" in response.content.decode()
    assert not ProductImage.objects.exists() and not Ticket.objects.exists()
    assert stored_files() == before
