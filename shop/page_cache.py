"""Whole-page cache for the catalogue and product pages, for every visitor.

A GET is answered from the cache, keyed by the language, the htmx headers, the path and the
query parameters the page reads, and served only while it carries the current catalogue version
(bumped after any change to products, stock, images, the profile or reviews): the version sits
in the stored page rather than in its key, so that the version, the page and the visitor's
session are read in one round trip to Redis. The page is stored once for everybody: its
per-visitor parts (the CSRF token, the cart link, the signed-in menu, flash messages) are stored
as markers and filled in per answer by string replacement (shop.personal), so a shopper with a
cart or signed in gets the cached page too, with their own parts and nobody else's.

What keeps a visitor's data out of the stored page: the view renders it as a signed-out
visitor (request.user is AnonymousUser meanwhile) with the templates writing markers; an
answer is stored only when it is a 200, sets no cookie, and the view read neither the session
nor the messages while rendering it (anything that did would depend on the visitor). Pages
bound to a visitor (cart, checkout, tracking, account, /manage/) never use this decorator.

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
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from config.sessions import preloadable_key

from . import personal
from .cache import catalogue_version_with

# A masked CSRF token is 64 letters and digits: in hx-headers and in hidden form inputs.
# Group 1 is what precedes it. The pattern starts with the literal "csrf" so that re scans for
# it in C; two look-behinds at every position of a 24 KB page took 1.7 ms per answer.
TOKEN = re.compile(
    rb'(csrf(?:(?<="x-csrf)token": "|(?<=name="csrf)middlewaretoken" value="))[A-Za-z0-9]{64}'
)


def without_tokens(body: bytes) -> bytes:
    """`body` with each CSRF token replaced by the placeholder the fill puts a token in."""
    return TOKEN.sub(rb"\1" + PLACEHOLDER, body)


PLACEHOLDER = personal.CSRF


_UNREAD = object()
# Set on the request while answer() renders a page: what the view stores beside it.
_PENDING = "_page_cache_pending"


def store_with_page(request, key: str, value, seconds: int) -> None:
    """Store `value` under `key` for `seconds`: together with the page being rendered for the
    cache, in one round trip to Redis (a never-seen filter stores its grid and its page), or
    at once when no page is being rendered for this request."""
    pending = getattr(request, _PENDING, None)
    if pending is None:
        cache.set(key, value, seconds)
    else:
        pending[key] = (value, seconds)


def _store(pending: dict) -> None:
    by_seconds: dict[int, dict] = {}
    for key, (value, seconds) in pending.items():
        by_seconds.setdefault(seconds, {})[key] = value
    for seconds, values in by_seconds.items():
        cache.set_many(values, seconds)


def answer(
    request, key: str, *, render, seconds: int, status_header: str, stored=_UNREAD, stamp=None
) -> HttpResponse:
    """The page stored under `key`, filled for this visitor; or `render()`'s (a response and
    whether it may be stored), stored without its tokens when it is a storable 200 and filled
    the same way. `status_header` says which it was ("hit" or "miss"). Shared by the shoppers'
    page cache and the staff pages' (shop.staff_cache).

    `stored`: the value under `key`, when the caller read it already (with others, in one
    round trip). `stamp`: what a stored page must carry to be served (the catalogue version,
    for a key that does not hold it); a page is stored with it."""
    if stored is _UNREAD:
        stored = cache.get(key)
    # A page of another stamp, or stored in the former shape (body, type), is not this one.
    if stored is not None and (len(stored) != 3 or stored[0] != stamp):
        stored = None
    if stored is None:
        setattr(request, _PENDING, {})
        try:
            response, storable = render()
        finally:
            pending = getattr(request, _PENDING)
            delattr(request, _PENDING)
        if response.streaming:
            _store(pending)
            return response
        body = without_tokens(response.content)
        if response.status_code == 200 and storable:
            pending[key] = ((stamp, body, response["Content-Type"]), seconds)
        _store(pending)
        response.content = personal.fill(body, request)
        response[status_header] = "miss"
        return response
    _stamp, body, content_type = stored
    response = HttpResponse(personal.fill(body, request), content_type=content_type)
    response[status_header] = "hit"
    return response


HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-History-Restore-Request")
# Longer than any filter the pages accept (a search is at most 100 characters).
MAX_VALUE_LENGTH = 100
# Past this, a page number is someone counting: the catalogue and review lists end long before.
MAX_PAGE = 1000


STATUS_HEADER = "X-Page-Cache"


class NotCached(Exception):
    """The request is fine but outside what the page cache stores."""


def cacheable(request) -> bool:
    return request.method == "GET"


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


def _render_for_cache(view, request, args, kwargs) -> tuple[HttpResponse, bool]:
    """The view's answer rendered for everybody (markers in place of the visitor's parts), and
    whether it may be stored: not when it set a cookie, or read the session or the messages
    (its content would then be this visitor's)."""
    session = getattr(request, "session", None)
    storage = getattr(request, "_messages", None)
    user = getattr(request, "user", None)
    session_read = getattr(session, "accessed", False)
    messages_read = getattr(storage, "used", False)
    if session is not None:
        session.accessed = False
    setattr(request, personal.RENDERING_FOR_CACHE, True)
    request.user = AnonymousUser()
    try:
        response = view(request, *args, **kwargs)
    finally:
        setattr(request, personal.RENDERING_FOR_CACHE, False)
        if user is not None:
            request.user = user
        else:
            del request.user
        read_now = getattr(session, "accessed", False)
        if session is not None:
            session.accessed = session_read or read_now
    storable = (
        not read_now
        and getattr(storage, "used", False) == messages_read
        and not getattr(storage, "added_new", False)
        and not response.cookies
    )
    return response, storable


Names = tuple[str, ...] | Callable[[], tuple[str, ...]]


def cache_public_page(*, params: Names = (), htmx_targets: Names = ()):
    """Serve the view's 200 answers from the page cache, to every visitor (module's doc).

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
            # The version is not in the key but in the stored page (answer's stamp), so that
            # the version, the page and the visitor's session come in one round trip.
            key = f"page:{get_language()}:{htmx}:{address}"
            session = getattr(request, "session", None)
            session_key = preloadable_key(session) if personal.has_session(request) else None
            version, found = catalogue_version_with([key, *filter(None, [session_key])])
            if session_key is not None:
                session.preload(found.get(session_key))
            response = answer(
                request,
                key,
                render=lambda: _render_for_cache(view, request, args, kwargs),
                seconds=settings.CATALOGUE_CACHE_SECONDS,
                status_header=STATUS_HEADER,
                stored=found.get(key),
                stamp=version,
            )
            if response.streaming:
                return response
            if response[STATUS_HEADER] == "hit":
                patch_vary_headers(response, HTMX_HEADERS)
            # The answer holds this visitor's token, cart and menu: no shared cache keeps it.
            patch_cache_control(response, private=True)
            return response

        wrapped.page_cached = True  # tests list every such view: public pages only
        return wrapped

    return decorator
