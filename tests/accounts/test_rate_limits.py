"""Sign-in, sign-up and reset are limited per real client address, and per address signed in to."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ..factories import UserFactory
from .helpers import mails_to, signed_in_user_id

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def refused(response) -> bool:
    """A 429, or allauth's own refusal on the sign-in page."""
    return response.status_code == 429 or (
        response.status_code == 200
        and "Too many failed login attempts" in response.content.decode()
    )


def test_fifty_wrong_passwords_then_the_right_one_does_not_sign_in(client, customer, sign_in):
    answers = [sign_in(client, customer.email, f"guess-{n}").status_code for n in range(50)]
    assert set(answers) <= {200, 429} and signed_in_user_id(client) is None
    response = sign_in(client, customer.email, PASSWORD)
    assert refused(response)
    assert signed_in_user_id(client) is None


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


@pytest.mark.parametrize("site_limits", [False, True], ids=["allauth alone", "with site limits"])
def test_clients_behind_the_proxy_are_counted_apart(
    behind_one_proxy, settings, sign_in, site_limits
):
    settings.RATELIMIT_ENABLE = site_limits
    user = UserFactory(email="mei@example.com")
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    # Wrong passwords for many addresses (no one address's own limit is reached).
    for n in range(12):
        sign_in(Client(), f"guess{n}@example.com", "wrong-pass-1", **attacker)
    response = sign_in(Client(), user.email, PASSWORD, **attacker)
    assert refused(response)
    # Another client behind the same proxy is not held up by the first one's tries.
    other = Client()
    sign_in(other, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert signed_in_user_id(other) == str(user.pk)


@pytest.mark.parametrize(
    "forged",
    [
        lambda n: f"10.0.{n}.1",
        lambda n: f"2001:db8::{n:x}",
        lambda n: "not-an-address",
        lambda n: f"127.0.0.1, 10.{n}.0.1",
    ],
    ids=["ipv4", "ipv6", "junk", "two forged hops"],
)
def test_one_client_rotating_a_forged_left_most_header_is_still_one_client(
    behind_one_proxy, settings, sign_in, forged
):
    settings.RATELIMIT_ENABLE = False  # allauth's own count, keyed by the same address
    user = UserFactory(email="mei@example.com")
    for n in range(12):
        # The proxy appends what it saw (203.0.113.5); everything left of it is the client's.
        header = f"{forged(n)}, 203.0.113.5"
        sign_in(Client(), f"guess{n}@example.com", "wrong-pass-1", HTTP_X_FORWARDED_FOR=header)
    last = Client()
    response = sign_in(
        last, user.email, PASSWORD, HTTP_X_FORWARDED_FOR=f"{forged(99)}, 203.0.113.5"
    )
    assert refused(response) and signed_in_user_id(last) is None


@pytest.mark.parametrize(
    "header", ["", "garbage", " , ,", "a" * 2000, "[::1]:80", "1.2.3.4\x00", "999.1.1.1"]
)
def test_a_strange_forwarded_header_is_no_server_error(behind_one_proxy, sign_in, header):
    user = UserFactory(email="mei@example.com")
    client = Client()
    response = sign_in(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR=header)
    assert response.status_code in (302, 400)


def test_many_clients_guessing_one_account_are_stopped(behind_one_proxy, settings, sign_in):
    settings.RATELIMIT_ENABLE = False
    user = UserFactory(email="mei@example.com")
    for n in range(5):
        sign_in(Client(), user.email, "wrong-pass-1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    late = Client()
    response = sign_in(late, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert refused(response) and signed_in_user_id(late) is None


def test_reset_requests_for_one_address_are_limited(client, customer, send):
    mail.outbox.clear()
    answers = [
        send(Client(), reverse("account_reset_password"), {"email": customer.email}).status_code
        for _ in range(6)
    ]
    assert answers[:3] == [302, 302, 302]
    assert set(answers[3:]) == {429}
    assert len(mails_to(customer.email)) == 3


def test_sign_ups_from_one_client_are_limited(client, sign_up):
    answers = [sign_up(Client(), f"new{n}@example.com").status_code for n in range(12)]
    assert answers[0] == 302 and answers[-1] == 429
    response = sign_up(Client(), "one-more@example.com")
    assert response.status_code == 429 and "Too many tries" in response.content.decode()
