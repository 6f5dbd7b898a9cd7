"""Short links for SMS: /s/<code>/ in place of a long signed link.

Providers bill by the character and forbid links in template values, so an SMS carries the
shop's address with a short code; the code leads to the same signed link an email carries.
"""

import secrets
import string

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from .models import ShortLink

ALPHABET = string.digits + string.ascii_letters  # base62
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shorten(target: str) -> ShortLink:
    """A new short link to `target` (an absolute URL), saved in the caller's transaction.

    A clash of random codes (one in 8e17 per pair) is met by drawing again."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(code=new_code(), target=target)
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free short-link code")


def short_url(link: ShortLink) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("short_link", args=[link.code])
