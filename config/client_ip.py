"""The address of the person at the other end, not of the proxy in front of us.

Behind N trusted proxies (settings.TRUSTED_PROXY_COUNT), each proxy appends the address it
received the request from to X-Forwarded-For, so the client is the N-th address from the right;
anything further left was written by the client and cannot be trusted. With no trusted proxy
the header is ignored, since any client can send one.
"""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request) -> str:
    """The real client address of `request` (REMOTE_ADDR when no proxy is trusted)."""
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a key, not a bind
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come through them all; trust nothing.
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote


def ratelimit_key(group, request) -> str:
    """django-ratelimit's key function: the real client address."""
    return client_ip(request)
