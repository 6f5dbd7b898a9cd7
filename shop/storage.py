"""Where files that must never be public are kept.

Everything in MEDIA_ROOT is public: the demo and tests serve it themselves, production through a
web server or a public bucket. CSV imports, and the photos of a review hidden because it shows
personal data, go to STORAGES["private"] instead: by default a folder outside MEDIA_ROOT
(PRIVATE_MEDIA_ROOT) whose files have no URL at all. django-storages can point that entry at a
private bucket without a migration, since fields name `private_storage`, not a storage.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, Http404


class PrivateStorage(FileSystemStorage):
    """Files on disk under PRIVATE_MEDIA_ROOT, never reachable by a URL."""

    def __init__(self, location=None, **kwargs):
        super().__init__(location=location or settings.PRIVATE_MEDIA_ROOT, **kwargs)

    def url(self, name):
        raise ValueError(f"{name} is a private file: it has no public address.")


def private_storage() -> Storage:
    """STORAGES["private"]; fields take this callable so migrations never hold a storage."""
    return storages["private"]


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
