"""Whole-page cache for first-time visitors: the catalogue and product pages they see most.

A GET from a request with no session cookie and no messages cookie (not signed in, no cart, no
flash message) is answered from the cache, keyed by the catalogue version (bumped after any
change to products, stock, images, the profile or reviews), the language, the htmx headers, the
path and the query parameters the page reads. The CSRF token is the only per-visitor part of
such a page: it is stored as a placeholder and a fresh token (which also sets the cookie) is put
in on the way out.

Only what the page reads makes a key. Anyone can add `?utm=<random>` (or send a random
HX-Target) to every request; keyed on the full query string, each one stored a page of its own
and filled Redis. So a view names its parameters, `@cache_public_page(params=(...))`: the
others are dropped from the request before the view sees it (a link with `utm=` gets the page
for the rest), the known ones are put in one order with one value each, and a request whose
values or headers are outside what is cached (an unknown HX-Target, a page number past
MAX_PAGE, a value longer than MAX_VALUE_LENGTH) is answered without the cache.
"""

import hashlib
import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
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
# Longer than any filter the pages accept (a search is at most 100 characters).
MAX_VALUE_LENGTH = 100
# Past this, a page number is someone counting: the catalogue and review lists end long before.
MAX_PAGE = 1000


class NotCached(Exception):
    """The request is fine but outside what the page cache stores."""


def cacheable(request) -> bool:
    return (
        request.method == "GET"
        and not request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        and not request.COOKIES.get("messages")
    )


def _page_number(value: str) -> str:
    """The page a paginator shows for `value`, as one spelling ("" for the first page).

    Django's get_page shows page 1 for anything that is not a whole number, so all of those are
    one page; "02" and "2" are one page too.
    """
    try:
        number = int(value)
    except ValueError:
        return ""
    if not 1 <= number <= MAX_PAGE:
        raise NotCached
    return "" if number == 1 else str(number)


def known_query(request, params: tuple[str, ...]) -> QueryDict:
    """The request's query reduced to `params`, in that order, with the value the view reads
    (QueryDict.get gives the last one); empty values and every other parameter are dropped."""
    pairs = []
    for name in params:
        value = request.GET.get(name, "")
        if len(value) > MAX_VALUE_LENGTH:
            raise NotCached
        if name == "page":
            value = _page_number(value)
        if value:
            pairs.append((name, value))
    return QueryDict(urlencode(pairs))


def _htmx_part(request, targets: tuple[str, ...]) -> str:
    """The htmx headers as the views read them: whether it is an htmx request, a history
    restore, and which of the view's own targets it names (any other target is not cached)."""
    if request.headers.get("HX-Request") != "true":
        return "page"
    target = request.headers.get("HX-Target", "")
    if target and target not in targets:
        raise NotCached
    restore = request.headers.get("HX-History-Restore-Request") == "true"
    return f"htmx:{'restore' if restore else ''}:{target}"


Names = tuple[str, ...] | Callable[[], tuple[str, ...]]


def cache_public_page(*, params: Names = (), htmx_targets: Names = ()):
    """Serve the view's 200 answers to first-time visitors from the page cache.

    `params`: the query parameters the view reads (every other one is dropped before it runs);
    `htmx_targets`: the HX-Target values it answers differently. Either may be a function, read
    on each request, for a page whose parts are registered by other apps (shop.sections).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not cacheable(request) or not settings.CATALOGUE_CACHE_SECONDS:
                return view(request, *args, **kwargs)
            try:
                query = known_query(request, params() if callable(params) else params)
                htmx = _htmx_part(
                    request, htmx_targets() if callable(htmx_targets) else htmx_targets
                )
            except NotCached:
                return view(request, *args, **kwargs)
            # The view renders the page for the known parameters only, so that what is stored
            # under this key is the same whatever else the first visitor's address carried.
            request.GET = query
            request.META["QUERY_STRING"] = query.urlencode()
            # Scheme and host too: the page carries absolute addresses (its Open Graph card).
            address = hashlib.blake2b(
                f"{request.scheme}://{request.get_host()}{request.path}"
                f"?{request.META['QUERY_STRING']}".encode(),
                digest_size=16,
            ).hexdigest()
            key = f"page:{catalogue_version()}:{get_language()}:{htmx}:{address}"
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

    return decorator
