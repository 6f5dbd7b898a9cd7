"""Guards every request passes before a view sees it: NUL bytes refused, public writes limited."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

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


class PublicWriteLimitMiddleware:
    """Limit every public write (any non-GET outside /manage/) per real client address.

    Rules come from settings.PUBLIC_WRITE_LIMITS, by URL name, with "*" for every other
    public write; a rule may also count a posted value (the address a contact form mails), so
    that many clients cannot flood one person either. Counting is django-ratelimit's, in the
    shared cache. A refused request is answered 429 with a page saying when to try again.
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
            group = f"write:{name or request.path}:{key}"
            usage = get_usage(
                request,
                group=group,
                key=lambda _group, _request, value=value: value,
                rate=rate,
                increment=True,
            )
            if usage and usage["should_limit"]:
                response = render(
                    request,
                    "429.html",
                    {"retry_minutes": max(1, round(usage["time_left"] / 60))},
                    status=429,
                )
                response["Retry-After"] = str(usage["time_left"])
                return response
        return None
