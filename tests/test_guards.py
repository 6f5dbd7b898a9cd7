"""The guards in front of every view: the real client address, NUL bytes, public write limits,
the Content-Security-Policy. Each limit is tried as an attacker would: one client hammering,
one client forging X-Forwarded-For, many clients aiming at one victim's address."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.client_ip import client_ip
from support.models import Ticket

from .factories import VariantFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def contact(email="mei@example.com", **extra):
    return {"email": email, "name": "Mei", "topic": "other", "body": "Hello", **extra}


# ---------------------------------------------------------------- the client address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "203.0.113.9", "10.0.0.1"),  # no trusted proxy: the header is anyone's to write
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client wrote 6.6.6.6 itself
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer hops than proxies: not through them
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_is_counted_from_the_right(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# ---------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize(
    "path",
    [
        "/products/?q=%00",
        "/products/?q=shirt%00",
        "/products/?min_price=1%00",
        "/products/?%00=1",
        "/?utm=%00",
        "/support/new/?order=%00",
    ],
)
def test_a_nul_byte_in_a_query_parameter_is_refused(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_byte_in_a_posted_field_is_refused_and_nothing_is_written(client):
    for field in ("name", "body", "email", "topic"):
        data = contact()
        data[field] = data[field] + "\x00"
        response = client.post(reverse("support:new"), data)
        assert response.status_code == 400, field
    assert Ticket.objects.count() == 0
    # The same form without the NUL byte goes through: the refusal was the byte, not the form.
    assert client.post(reverse("support:new"), contact()).status_code == 302
    assert Ticket.objects.count() == 1


# ---------------------------------------------------------------- public write limits


def _limit(name: str) -> int:
    return int(dict(settings.PUBLIC_WRITE_LIMITS[name])["ip"].split("/")[0])


def test_the_contact_form_is_limited_per_client_and_says_so(client):
    allowed = _limit("support:new")
    for n in range(allowed):
        assert client.post(reverse("support:new"), contact(f"p{n}@example.com")).status_code == 302
    refused = client.post(reverse("support:new"), contact("late@example.com"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many tries" in refused.content.decode()
    assert Ticket.objects.count() == allowed  # the refused one wrote nothing


def test_behind_a_proxy_clients_are_counted_apart_and_a_forged_header_does_not_help(
    client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    allowed = _limit("support:new")
    url = reverse("support:new")
    # One attacker behind the proxy rotates the left-most (self-written) part of the header.
    for n in range(allowed):
        forged = f"198.51.100.{n}, 203.0.113.5"
        response = client.post(url, contact(f"a{n}@example.com"), HTTP_X_FORWARDED_FOR=forged)
        assert response.status_code == 302
    forged = "198.51.100.200, 203.0.113.5"
    assert client.post(url, contact(), HTTP_X_FORWARDED_FOR=forged).status_code == 429
    # Another buyer behind the same proxy (same REMOTE_ADDR) is not affected.
    other = client.post(url, contact("b@example.com"), HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 302


def test_many_clients_cannot_flood_one_victims_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    per_address = int(dict(settings.PUBLIC_WRITE_LIMITS["support:new"])["post:email"].split("/")[0])
    url = reverse("support:new")
    for n in range(per_address):
        response = client.post(
            url, contact("Victim@Example.com"), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        assert response.status_code == 302
    # A new client, the same address in another case: still the same victim.
    response = client.post(url, contact("victim@example.com"), HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert response.status_code == 429
    assert Ticket.objects.filter(email="victim@example.com").count() == per_address


def test_a_public_write_without_its_own_rule_has_the_default_limit(client):
    variant = VariantFactory(stock=5)
    allowed = _limit("*")
    url = reverse("orders:cart_add")
    statuses = [
        client.post(url, {"variant": variant.pk, "quantity": 1}).status_code
        for _ in range(allowed + 1)
    ]
    assert 429 not in statuses[:allowed]
    assert statuses[-1] == 429


def test_staff_pages_are_not_limited_as_public_writes(owner_client):
    # /manage/ is behind role checks; the owner's day must not hit a limit meant for strangers.
    url = reverse("support_manage:canned_list")
    statuses = {
        owner_client.post(url, {"title": f"t{n}", "body": "b"}).status_code
        for n in range(_limit("*") + 5)
    }
    assert 429 not in statuses


def _view_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            yield from _view_names(
                pattern.url_patterns, f"{prefix}{namespace}:" if namespace else prefix
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_every_limit_names_a_real_page():
    names = set(_view_names(get_resolver().url_patterns))
    unknown = [name for name in settings.PUBLIC_WRITE_LIMITS if name != "*" and name not in names]
    assert unknown == []


def test_helpful_votes_count_the_real_client_not_the_proxy(client, settings):
    from reviews.views import _rate_limited

    settings.TRUSTED_PROXY_COUNT = 1
    factory = RequestFactory()

    def vote_from(address):
        request = factory.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)
        return _rate_limited(request)

    results = [vote_from("203.0.113.5") for _ in range(settings.HELPFUL_VOTES_PER_MINUTE + 1)]
    assert results[-1] is True and not any(results[:-1])
    assert vote_from("203.0.113.6") is False  # another buyer behind the same proxy


# ---------------------------------------------------------------- Content-Security-Policy


def test_every_answer_carries_a_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", re.I)


def test_no_template_has_an_inline_handler_or_script():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "/email/" in str(path):
            continue  # emails are not pages; mail clients run no scripts
        text = path.read_text()
        if INLINE_HANDLER.search(text) or INLINE_SCRIPT.search(text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
