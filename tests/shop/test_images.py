import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from shop.images import check_image, clean_image

from ..factories import image_bytes


def jpeg_with_gps_and_rotation() -> bytes:
    image = Image.new("RGB", (80, 40), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (31.0, 42.0, 0.0), 3: "E", 4: (111.0, 17.0, 0.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_a_text_file_named_jpg_is_refused():
    upload = SimpleUploadedFile("photo.jpg", b"this is not an image at all", "image/jpeg")
    with pytest.raises(ValidationError) as error:
        clean_image(upload)
    assert "not an image" in error.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        clean_image(SimpleUploadedFile("photo.jpg", b"", "image/jpeg"))


@override_settings(IMAGE_MAX_BYTES=10_000)
def test_an_oversize_file_is_refused_before_decoding():
    data = image_bytes(fmt="PNG", size=(200, 200))
    data += b"\0" * 20_000  # valid PNG followed by padding: large on disk
    with pytest.raises(ValidationError) as error:
        check_image(SimpleUploadedFile("big.png", data, "image/png"))
    assert "limit" in error.value.messages[0]
    assert error.value.code == "too_large"


def test_a_decompression_bomb_is_refused_from_its_header():
    # 8000 x 6000 = 48 MP, over the 40 MP limit; PNG of one colour compresses to a few KB.
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ValidationError) as error:
        clean_image(SimpleUploadedFile("bomb.png", buffer.getvalue(), "image/png"))
    assert error.value.code == "too_many_pixels"
    assert "megapixels" in error.value.messages[0]


def test_gps_and_all_exif_are_dropped_and_orientation_applied():
    data = jpeg_with_gps_and_rotation()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the source really carries GPS
    cleaned = clean_image(SimpleUploadedFile("trip.jpg", data, "image/jpeg"))
    for stored in [cleaned.master, *cleaned.renditions.values()]:
        stored.seek(0)
        raw = stored.read()
        assert b"PhoneMaker" not in raw
        with Image.open(io.BytesIO(raw)) as image:
            assert image.format == "WEBP"
            assert not image.getexif()
            assert "exif" not in image.info and "xmp" not in image.info
    # Orientation 6 turns the 80x40 landscape into a 40x80 portrait.
    assert (cleaned.width, cleaned.height) == (40, 80)


def test_renditions_are_made_at_each_width():
    data = image_bytes(size=(1600, 2000))
    cleaned = clean_image(SimpleUploadedFile("big.jpg", data, "image/jpeg"))
    widths = {}
    for width, content in cleaned.renditions.items():
        content.seek(0)
        with Image.open(content) as image:
            widths[width] = image.width
    assert widths == {400: 400, 1200: 1200}


def test_a_truncated_image_is_refused():
    data = image_bytes(size=(400, 400))[:300]
    with pytest.raises(ValidationError):
        clean_image(SimpleUploadedFile("cut.jpg", data, "image/jpeg"))
