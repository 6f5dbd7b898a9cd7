"""Sign-up, reset and sign-in answer a stranger the same whether or not an address has an account."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User

from ..factories import UserFactory
from .helpers import mails_to

pytestmark = pytest.mark.django_db

KNOWN = "known@example.com"
UNVERIFIED = "pending@example.com"
UNKNOWN = "nobody@example.com"


@pytest.fixture(autouse=True)
def accounts():
    UserFactory(email=KNOWN)
    UserFactory(email=UNVERIFIED, verified=False)


def _normalised(response, email: str) -> str:
    """The page as a stranger sees it, without what differs on every request or by design."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)
    text = re.sub(r'"x-csrftoken": "[^"]+"', "CSRF", text)
    return text.replace(email, "EMAIL")


def _answer(send, url_name, data, email):
    """Status, redirect and the page it leads to, plus the mail sent, for one fresh visitor."""
    client = Client()
    mail.outbox.clear()
    response = send(client, reverse(url_name), data)
    location = response.get("Location")
    page = _normalised(client.get(location), email) if location else _normalised(response, email)
    sent = [(m.to, m.from_email) for m in mail.outbox]
    return response.status_code, location, page, sent


@pytest.mark.parametrize("existing", [KNOWN, UNVERIFIED])
def test_sign_up_answers_the_same_for_known_and_unknown_addresses(send, existing):
    def answer(email):
        data = {"email": email, "first_name": "Sam", "password1": "linen-and-wool-42"}
        return _answer(send, "account_signup", data, email)

    status, location, page, sent = answer(existing)
    assert (status, location, page) == answer(UNKNOWN)[:3]
    assert status == 302 and location == reverse("account_email_verification_sent")
    # Exactly one message either way, to the address itself, from the same sender.
    assert sent == [([existing], sent[0][1])]
    assert answer("another@example.com")[3] == [(["another@example.com"], sent[0][1])]
    # Nothing was created for the taken address, and nobody is signed in.
    assert User.objects.filter(email=existing).count() == 1


def test_sign_up_with_a_taken_address_tells_only_the_address_itself(send):
    mail.outbox.clear()
    data = {"email": KNOWN, "first_name": "Sam", "password1": "linen-and-wool-42"}
    response = send(Client(), reverse("account_signup"), data)
    assert "already" not in response.content.decode().lower()
    [message] = mails_to(KNOWN)
    assert "already" in message.subject.lower()


@pytest.mark.parametrize("existing", [KNOWN, UNVERIFIED])
def test_reset_answers_the_same_for_known_and_unknown_addresses(send, existing):
    def answer(email):
        return _answer(send, "account_reset_password", {"email": email}, email)

    status, location, page, sent = answer(existing)
    assert (status, location, page) == answer(UNKNOWN)[:3]
    assert status == 302 and location == reverse("account_confirm_password_reset_code")
    assert sent == [([existing], sent[0][1])]
    assert answer(UNKNOWN)[3] == [([UNKNOWN], sent[0][1])]


def test_a_wrong_password_reads_the_same_for_known_and_unknown_addresses(send):
    def answer(email):
        return _answer(send, "account_login", {"login": email, "password": "wrong-pass-99"}, email)

    known = answer(KNOWN)
    assert known == answer(UNKNOWN)
    assert known[0] == 200 and "not correct" in known[2]
    assert known[3] == []  # no mail for a wrong password


def test_the_code_page_reads_the_same_for_known_and_unknown_reset(send):
    client_known, client_unknown = Client(), Client()
    send(client_known, reverse("account_reset_password"), {"email": KNOWN})
    send(client_unknown, reverse("account_reset_password"), {"email": UNKNOWN})
    wrong = {"code": "AAAA-AAAA"}
    url = reverse("account_confirm_password_reset_code")
    known = send(client_known, url, wrong)
    unknown = send(client_unknown, url, wrong)
    assert known.status_code == unknown.status_code
    assert _normalised(known, KNOWN) == _normalised(unknown, UNKNOWN)
