import io
import struct
import zlib
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image, ImageFile

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


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def header_only_png(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + _png_chunk(b"IEND", b"")
    )


def header_only_jpeg(width: int, height: int) -> bytes:
    """A small real JPEG with its frame header (SOF0) rewritten to declare width x height."""
    data = bytearray(image_bytes(size=(16, 16)))
    sof = data.index(b"\xff\xc0")
    # SOF0: marker, length (2), precision (1), height (2), width (2).
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def decoder():
    """Pillow's pixel decoder, watched: a header check must never call it."""
    with mock.patch.object(
        ImageFile.ImageFile, "load", autospec=True, side_effect=ImageFile.ImageFile.load
    ) as load:
        yield load


@pytest.mark.parametrize("make", [header_only_png, header_only_jpeg], ids=["png", "jpeg"])
def test_a_header_declaring_50000_by_50000_is_refused_without_decoding(make, decoder):
    data = make(50_000, 50_000)
    assert len(data) < 2_000
    with pytest.raises(ValidationError) as error:
        clean_image(SimpleUploadedFile("huge", data, "image/png"))
    assert error.value.code in {"bomb", "too_many_pixels"}
    assert decoder.call_count == 0


@pytest.mark.parametrize(
    "side, code",
    # 6400 x 6400 = 41 MP, just past IMAGE_MAX_PIXELS; from 89 MP Pillow itself calls it a bomb.
    [(6_400, "too_many_pixels"), (9_000, "too_many_pixels"), (10_000, "bomb"), (65_000, "bomb")],
)
def test_declared_pixels_over_the_limit_are_refused_from_the_header(side, code, decoder):
    with pytest.raises(ValidationError) as error:
        check_image(SimpleUploadedFile("big.jpg", header_only_jpeg(side, side), "image/jpeg"))
    assert error.value.code == code
    assert decoder.call_count == 0


def test_the_header_check_does_not_decode_a_good_photo(decoder):
    upload = SimpleUploadedFile("ok.jpg", image_bytes(size=(300, 200)), "image/jpeg")
    assert check_image(upload) == (300, 200)
    assert decoder.call_count == 0
    clean_image(upload)
    assert decoder.call_count >= 1  # the pipeline decodes, after the check
