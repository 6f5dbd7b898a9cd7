"""Guards every request passes before a view sees it: NUL bytes refused, public writes limited."""

import time

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate

from .cache import count_hit
from .client_ip import client_ip

NUL = "\x00"


def _has_nul(querydict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in querydict.lists()
    )


class RefuseNulBytesMiddleware:
    """Answer 400 to a NUL byte anywhere in the path, a query parameter or a posted field.

    No text column or search can hold one (PostgreSQL refuses it, which was a 500), and no
    person types one: the request is refused before any view reads it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = NUL in request.path or _has_nul(request.GET)
        if not refused and request.method == "POST":
            refused = _has_nul(request.POST)
        if refused:
            reason = _("The request held a character (NUL) that no field accepts.")
            return render(request, "400.html", {"reason": reason}, status=400)
        return self.get_response(request)


def _key_value(key: str, request) -> str:
    if key == "ip":
        return client_ip(request)
    if key.startswith("post:"):
        return request.POST.get(key[5:], "").strip().lower()
    raise ValueError(f"unknown rate limit key {key!r}")


def _count(group: str, value: str, rate: str) -> tuple[bool, int] | None:
    """Count this request for `value` in `group`: (refused, seconds to the next window), or
    None when the count could not be kept and RATELIMIT_FAIL_OPEN lets the request in.

    django-ratelimit's get_usage(increment=True), with its rates, windows (fixed, each value's
    end shifted by a hash of it) and cache keys, so that counts carry over from it; but its
    add() then incr() was three round trips to Redis for every request after a window's
    first, and this is one (config.cache.count_hit).
    """
    limit, period = _split_rate(rate)
    window = _get_window(value, period)
    key = _make_cache_key(group, window, rate, value, ALL)
    count = count_hit(caches[settings.RATELIMIT_USE_CACHE], key, period + EXPIRATION_FUDGE)
    # The window's last second is `window` itself: the next one starts a second after it.
    time_left = window - int(time.time()) + 1
    if count is None:
        return None if getattr(settings, "RATELIMIT_FAIL_OPEN", False) else (True, time_left)
    return count > limit, time_left


class PublicWriteLimitMiddleware:
    """Limit every public write (any non-GET outside /manage/) per real client address.

    Rules come from settings.PUBLIC_WRITE_LIMITS, by URL name, with "*" for every other
    public write; a rule may also count a posted value (the address a contact form mails), so
    that many clients cannot flood one person either. Counting is django-ratelimit's windows
    and keys in the shared cache, one round trip per rule (_count). A refused request is
    answered 429 with a page saying when to try again.
    """

    SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in self.SAFE_METHODS or not settings.RATELIMIT_ENABLE:
            return None
        if request.path.startswith("/manage/"):
            return None  # staff only, behind role checks
        name = request.resolver_match.view_name if request.resolver_match else ""
        limits = settings.PUBLIC_WRITE_LIMITS
        rules = limits.get(name, limits["*"])
        for key, rate in rules:
            value = _key_value(key, request)
            if not value:
                continue
            counted = _count(f"write:{name or request.path}:{key}", value, rate)
            if counted is not None and counted[0]:
                time_left = counted[1]
                response = render(
                    request,
                    "429.html",
                    {"retry_minutes": max(1, round(time_left / 60))},
                    status=429,
                )
                response["Retry-After"] = str(time_left)
                return response
        return None
