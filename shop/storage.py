"""Where files are kept: public media, and files that must never be public.

Everything in STORAGES["default"] is public: the demo and tests serve MEDIA_ROOT themselves,
production points it at a public-read bucket (PublicMediaStorage). CSV imports, ticket
attachments and the photos of a review hidden because it shows personal data go to
STORAGES["private"] instead: by default a folder outside MEDIA_ROOT (PRIVATE_MEDIA_ROOT), in
production a private bucket (PrivateMediaStorage); either way the files have no URL at all and
reach a person only through a view that checked who is asking (private_file_response). Fields
name `private_storage`, not a storage, so switching needs no migration.

Every name the shop stores is random (random_name, shop.images' uuid stems) and never reused,
which is what makes the public bucket's year-long immutable Cache-Control safe.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.utils.functional import LazyObject, empty


class PrivateStorage(FileSystemStorage):
    """Files on disk under PRIVATE_MEDIA_ROOT, never reachable by a URL."""

    def __init__(self, location=None, **kwargs):
        super().__init__(location=location or settings.PRIVATE_MEDIA_ROOT, **kwargs)

    def url(self, name):
        raise ValueError(f"{name} is a private file: it has no public address.")


try:  # django-storages with boto3: production's buckets (config.settings.base.s3_storages)
    from storages.backends.s3 import S3Storage
except ImportError:  # pragma: no cover - the demo needs neither
    S3Storage = None

if S3Storage is not None:

    class PublicMediaStorage(S3Storage):
        """Product, review and logo photos in a public-read bucket, served by the store itself.

        Names are never overwritten (a photo is cached for a year as immutable), and URLs carry
        no signature, so a page's HTML is the same for everyone and may be cached.
        """

        file_overwrite = False
        querystring_auth = False

    class PrivateMediaStorage(S3Storage):
        """Imports and ticket attachments in a bucket nobody reads without the shop's keys.

        No URL either: a file is streamed by the view that checked the role (or the ticket's
        token), so no signed link can be forwarded, logged or outlive the person's access.
        """

        file_overwrite = False
        default_acl = "private"

        def url(self, name, *args, **kwargs):
            raise ValueError(f"{name} is a private file: it has no public address.")


class _PrivateStorage(LazyObject):
    """STORAGES["private"], looked up when first used (as Django's default_storage is): a field
    calls its storage callable once, at import, and must still follow STORAGES when a test
    (or a restore) points it elsewhere."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _forget_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage() -> Storage:
    """STORAGES["private"]; fields take this callable so migrations never hold a storage."""
    return _private


def random_name(folder: str, original_name: str, *, extension: str = "") -> str:
    """A stored name that tells nothing of the uploader's own (which may hold a name or date)."""
    suffix = extension or Path(original_name).suffix.lower()[:8]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def private_file_response(field_file) -> FileResponse:
    """Answer with a private file, for a view that has already checked who is asking.

    Never cached by a shared cache (the address is a capability of the person allowed to open
    it), never sniffed into another type. Raises Http404 when the file is missing.
    """
    if not field_file or not field_file.storage.exists(field_file.name):
        raise Http404("No such file.")
    response = FileResponse(field_file.storage.open(field_file.name, "rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@checks.register(checks.Tags.security)
def check_private_bucket_is_its_own(app_configs=None, **kwargs):
    """A private bucket that is also the public one would serve imports to anyone."""
    public = getattr(storages["default"], "bucket_name", None)
    private = getattr(private_storage(), "bucket_name", None)
    if private and private == public:
        return [
            checks.Error(
                f"PRIVATE_BUCKET and MEDIA_BUCKET are both {private}: private files would be "
                "public.",
                hint="Use a second bucket, with no public read, for PRIVATE_BUCKET.",
                id="shop.E002",
            )
        ]
    if public and not private:
        return [
            checks.Error(
                "MEDIA_BUCKET is set but PRIVATE_BUCKET is not: imports and ticket attachments "
                "would stay on this server's disk.",
                hint="Set PRIVATE_BUCKET to a bucket with no public read.",
                id="shop.E003",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_private_root_outside_media(app_configs=None, **kwargs):
    """A private folder inside MEDIA_ROOT would be served to anyone with the media."""
    location = getattr(private_storage(), "location", None)
    if not location:
        return []
    private = Path(location).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    if private == media or media in private.parents:
        return [
            checks.Error(
                f"PRIVATE_MEDIA_ROOT ({private}) is inside MEDIA_ROOT ({media}), so private "
                "files would be served with the public ones.",
                hint="Set PRIVATE_MEDIA_ROOT to a folder outside MEDIA_ROOT.",
                id="shop.E001",
            )
        ]
    return []
