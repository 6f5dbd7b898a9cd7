"""Whole-page cache for first-time visitors: the catalogue and product pages they see most.

A GET from a request with no session cookie and no messages cookie (not signed in, no cart, no
flash message) is answered from the cache, keyed by the catalogue version (bumped after any
change to products, stock, images, the profile or reviews), the language, the htmx headers and
the full path. The CSRF token is the only per-visitor part of such a page: it is stored as a
placeholder and a fresh token (which also sets the cookie) is put in on the way out.
"""

import re
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from .cache import catalogue_version

# A masked CSRF token is 64 letters and digits: in hx-headers and in hidden form inputs.
TOKEN = re.compile(
    rb'(?:(?<="x-csrftoken": ")|(?<=name="csrfmiddlewaretoken" value="))[A-Za-z0-9]{64}'
)
PLACEHOLDER = b"\x00csrf\x00"
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-History-Restore-Request")


def cacheable(request) -> bool:
    return (
        request.method == "GET"
        and not request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        and not request.COOKIES.get("messages")
    )


def cache_public_page(view):
    """Serve the view's 200 answers to first-time visitors from the page cache."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not cacheable(request) or not settings.CATALOGUE_CACHE_SECONDS:
            return view(request, *args, **kwargs)
        htmx = ":".join(request.headers.get(name, "") for name in HTMX_HEADERS)
        key = f"page:{catalogue_version()}:{get_language()}:{htmx}:{request.get_full_path()}"
        stored = cache.get(key)
        if stored is None:
            response = view(request, *args, **kwargs)
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies.get(settings.SESSION_COOKIE_NAME)
            ):
                cache.set(
                    key,
                    (TOKEN.sub(PLACEHOLDER, response.content), response["Content-Type"]),
                    settings.CATALOGUE_CACHE_SECONDS,
                )
            return response
        body, content_type = stored
        response = HttpResponse(
            body.replace(PLACEHOLDER, get_token(request).encode()), content_type=content_type
        )
        patch_vary_headers(response, HTMX_HEADERS)
        return response

    return wrapped
