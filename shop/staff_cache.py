"""Whole-page cache for the busiest staff pages: the inbox, a ticket, the dashboard, reputation.

Staff reload these pages all day (the inbox polls every 15 s) while the data behind them
changes far less often; rendering one costs tens of milliseconds (fifty rows of dates, times
and links, a thread of messages). A repeat request is answered from the cache, keyed by:

- the staff member (user id) and their roles: a page shows the member's own things (the
  "Mine" count, "Take it" on a ticket that is not theirs, the owner's links), so a page stored
  for one member is never served to anybody else;
- the address (path and query string), the language, the time zone and the htmx headers;
- the current value of every version key the page names (`depends`, shop.cache): bumped after
  commit by each app's receivers whenever what the page shows changes (a ticket, a message, an
  attachment, a satisfaction answer: support.receivers; orders, reviews, canned replies, the
  catalogue and the shop's profile), so a change shows on the next request. These are kept in
  the stored page, not in its key, and compared on each read: the versions and the page come
  in one round trip to Redis;
- the minute: relative times ("3 hours late", "in 2 days", "5 minutes ago") and what turns
  overdue by the clock alone are at most a minute old (STAFF_PAGE_CACHE_SECONDS).

What no version follows shows within two minutes (its own minute of shop.cache.cached_figures,
then the page's): a new member in the assignee menu, a member's new name on their messages,
the dashboard's failed follow-ups, the orders asked for a review on the reputation page.

The stored page holds none of the session's own parts: the CSRF token, the flash messages and
the header's role blocks are markers filled per answer (shop.personal), as in the shoppers'
page cache, so a member signed in twice gets each session's token and messages. An answer is
stored only when it is a 200 to a GET, sets no cookie and neither read nor added a flash
message while rendering.

The decorator goes under the role check (accounts.permissions.role_required): the user is
known, and refused requests never reach the cache. A hit costs the session (cached) and the
user with their roles: one query (accounts.backends).
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import OWNER, SUPPORT

from . import personal
from .cache import VERSION_KEY as CATALOGUE_VERSION
from .cache import current_versions_with
from .page_cache import HTMX_HEADERS, answer

STATUS_HEADER = "X-Staff-Page-Cache"
# A longer query string is nothing the staff pages' links make: answered without the cache.
MAX_QUERY_LENGTH = 400


def _render_for_cache(view, request, args, kwargs) -> tuple[HttpResponse, bool]:
    """The view's answer with markers for the session's parts, and whether it may be stored."""
    storage = getattr(request, "_messages", None)
    messages_read = getattr(storage, "used", False)
    setattr(request, personal.RENDERING_FOR_CACHE, True)
    try:
        response = view(request, *args, **kwargs)
    finally:
        setattr(request, personal.RENDERING_FOR_CACHE, False)
    storable = (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and getattr(storage, "used", False) == messages_read
        and not getattr(storage, "added_new", False)
    )
    return response, storable


def minute() -> int:
    """The time bucket of the key: the page is rendered again at least once a minute."""
    return int(time.time() // 60)


def page_key(request, name: str) -> str:
    """Where the page of this member, address and minute is stored; the versions it depends on
    are not in the key but in the stored page (page_cache.answer's stamp), so that they and the
    page are read in one round trip."""
    user = request.user
    roles = "".join("1" if user.has_role(role) else "0" for role in (OWNER, SUPPORT))
    address = hashlib.blake2b(
        "\n".join(
            [request.get_full_path(), *(request.headers.get(h, "") for h in HTMX_HEADERS)]
        ).encode(),
        digest_size=16,
    ).hexdigest()
    return (
        f"staff-page:{name}:{user.pk}:{roles}:{get_language()}:"
        f"{timezone.get_current_timezone_name()}:{minute()}:{address}"
    )


def cache_staff_page(*, depends=()):
    """Answer the view's GETs from the staff page cache (see the module's doc).

    `depends`: the version keys of what the page shows (the catalogue's is always added, for
    the shop's name and profile in the header and footer), or a function returning them, read
    on each request, for a page with parts registered by higher apps (shop.sections).
    """

    def decorator(view):
        name = f"{view.__module__}.{view.__name__}"

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if (
                request.method != "GET"
                or not settings.STAFF_PAGE_CACHE_SECONDS
                or len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH
            ):
                return view(request, *args, **kwargs)
            key = page_key(request, name)
            keys = (CATALOGUE_VERSION, *(depends() if callable(depends) else depends))
            versions, found = current_versions_with(keys, [key])
            return answer(
                request,
                key,
                render=lambda: _render_for_cache(view, request, args, kwargs),
                seconds=settings.STAFF_PAGE_CACHE_SECONDS,
                status_header=STATUS_HEADER,
                stored=found.get(key),
                stamp=".".join(versions),
            )

        return wrapped

    return decorator
