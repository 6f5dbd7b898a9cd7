"""The one image pipeline: every uploaded photo passes here before anything is stored.

It refuses what is not an image, files over IMAGE_MAX_BYTES and pictures over IMAGE_MAX_PIXELS
(checked from the header, before any pixel is decoded, so a decompression bomb costs nothing),
applies the EXIF orientation, drops every piece of metadata (GPS included) by re-encoding, and
makes the WebP renditions once, at upload.

HEIC/HEIF (what iPhones and many Android phones save) is read through pillow-heif, registered
once at app start (ShopConfig.ready calls register_heif). Its header check is the same: libheif
parses the container and reports the declared size without decoding any pixel.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO", "AVIF", "HEIF"}
# The file inputs' accept list. The extensions are there too because some Android browsers
# do not know a MIME type for .heic and would otherwise grey the photos out.
ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"
MASTER_MAX_SIDE = 2400

_heif_registered = False


def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF files (once per process; later calls do nothing).

    Embedded thumbnails, depth maps and auxiliary images are switched off: the pipeline only
    ever needs the primary picture, and each of them is one more thing libheif would parse.
    """
    global _heif_registered
    if _heif_registered:
        return
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    _heif_registered = True


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        _("This picture is %(mp)s megapixels; the limit is %(limit)s.")
        % {
            "mp": round(width * height / 1_000_000, 1),
            "limit": settings.IMAGE_MAX_PIXELS // 1_000_000,
        },
        code="too_many_pixels",
    )


@dataclass(frozen=True)
class CleanImage:
    """A cleaned image: the master and one WebP per rendition width, ready to store."""

    master: ContentFile
    renditions: dict[int, ContentFile]
    width: int
    height: int


def _encode_webp(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    # No exif= / icc_profile= arguments: the output carries no metadata at all.
    image.save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _fit_width(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image.copy()
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def check_image(upload) -> tuple[int, int]:
    """Raise ValidationError unless `upload` is an acceptable image; return its size.

    Reads only the header and runs Pillow's verify(); never decodes the pixels.
    """
    max_bytes = settings.IMAGE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ValidationError(
            _("This file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1024 / 1024, 1), "limit": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                fmt = image.format
                width, height = image.size
                if width * height > settings.IMAGE_MAX_PIXELS:
                    raise _too_many_pixels(width, height)
                image.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("This picture is too large to open safely."), code="bomb")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, RuntimeError):
        raise ValidationError(
            _("This file is not an image we can read. Use a JPEG, PNG, WebP or HEIC photo."),
            code="not_image",
        )
    if fmt not in ACCEPTED_FORMATS:
        raise ValidationError(
            _("Images must be JPEG, PNG, WebP or HEIC, not %(format)s.") % {"format": fmt},
            code="format",
        )
    upload.seek(0)
    return width, height


def clean_image(upload) -> CleanImage:
    """Check `upload`, then return a metadata-free master and its WebP renditions.

    Raises ValidationError with a message for the person who uploaded it.
    """
    check_image(upload)
    try:
        with Image.open(upload) as opened:
            opened.load()
            # HEIF: libheif has applied the container's rotation and mirroring while decoding,
            # and pillow-heif set the EXIF orientation to 1, so this turns nothing twice.
            image = ImageOps.exif_transpose(opened)
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError):
        # EOFError and RuntimeError: libheif's errors (a cut HEVC stream, a security limit).
        raise ValidationError(_("This image is damaged and cannot be read."), code="damaged")
    if image.width * image.height > settings.IMAGE_MAX_PIXELS:
        # The header was checked; this catches a decoder that produced more than it declared.
        raise _too_many_pixels(image.width, image.height)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    # A fresh image holds only pixels: no EXIF, XMP, ICC or comments survive.
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)
    master = _fit_width(pixels, MASTER_MAX_SIDE) if pixels.width >= pixels.height else pixels
    if master.height > MASTER_MAX_SIDE:
        ratio = MASTER_MAX_SIDE / master.height
        master = master.resize((max(1, round(master.width * ratio)), MASTER_MAX_SIDE))
    stem = uuid.uuid4().hex
    renditions = {
        width: ContentFile(_encode_webp(_fit_width(master, width), 80), name=f"{stem}-{width}.webp")
        for width in settings.IMAGE_RENDITION_WIDTHS
    }
    return CleanImage(
        master=ContentFile(_encode_webp(master, 90), name=f"{stem}.webp"),
        renditions=renditions,
        width=master.width,
        height=master.height,
    )


def store_image_files(row, image: CleanImage) -> None:
    """Write `image`'s master and renditions to `row`'s original, small and large fields
    (not saved: the caller saves the row). Product images, review photos and ticket
    attachments all store their files this way."""
    row.width, row.height = image.width, image.height
    row.original.save(image.master.name, image.master, save=False)
    small, large = sorted(image.renditions)
    row.small.save(image.renditions[small].name, image.renditions[small], save=False)
    row.large.save(image.renditions[large].name, image.renditions[large], save=False)
