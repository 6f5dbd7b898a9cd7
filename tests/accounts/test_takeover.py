"""A stranger signs up with someone else's address: they get nothing, the owner gets in."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User

from ..factories import VariantFactory
from ..orders.helpers import BUYER, place
from .helpers import code_in, mails_to, signed_in_user_id

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"
STRANGER_PASSWORD = "strangers-own-pass-1"
VICTIM_PASSWORD = "victims-new-pass-77"


@pytest.fixture
def victims_order():
    return place(
        {VariantFactory(stock=3): 1}, buyer=BUYER.__class__(**{**BUYER.__dict__, "email": VICTIM})
    )


@pytest.fixture
def stranger(client, sign_up):
    """The stranger's browser, after signing up with the victim's address."""
    sign_up(client, VICTIM, password=STRANGER_PASSWORD, first_name="Stranger")
    return client


def test_the_stranger_cannot_sign_in_or_see_the_orders(stranger, victims_order, sign_in):
    assert signed_in_user_id(stranger) is None
    response = sign_in(stranger, VICTIM, STRANGER_PASSWORD)
    # The right password of the stranger's own making leads only to "enter the code".
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(stranger) is None
    assert stranger.get(reverse("orders:my_orders")).status_code == 302
    # Every code went to the victim's mailbox, none anywhere else.
    assert mail.outbox and all(m.to == [VICTIM] for m in mail.outbox)


def test_the_owner_acting_on_the_strangers_mail_proves_nothing(stranger, enter_code, sign_in):
    # The owner receives the stranger's code and types it in their own browser: a code works
    # only in the browser that asked, so the stranger's account stays unproved.
    owner = Client()
    response = enter_code(owner, code_in(mails_to(VICTIM)[0]))
    assert response.status_code == 302
    assert signed_in_user_id(owner) is None
    assert not EmailAddress.objects.filter(email=VICTIM, verified=True).exists()
    assert signed_in_user_id(stranger) is None


def test_the_owner_gets_in_by_reset_and_the_strangers_password_stops_working(
    stranger, victims_order, send, enter_code, sign_in
):
    owner = Client()
    mail.outbox.clear()
    response = send(owner, reverse("account_reset_password"), {"email": VICTIM})
    assert response["Location"] == reverse("account_confirm_password_reset_code")
    [message] = mails_to(VICTIM)
    enter_code(owner, code_in(message), url_name="account_confirm_password_reset_code")
    response = send(
        owner,
        reverse("account_complete_password_reset"),
        {"password1": VICTIM_PASSWORD, "password2": VICTIM_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email=VICTIM)
    # The code proved the address: the owner is signed in and sees their guest order.
    assert signed_in_user_id(owner) == str(user.pk)
    assert user.verified_email() == VICTIM
    assert victims_order.number in owner.get(reverse("orders:my_orders")).content.decode()
    # The stranger's password no longer opens anything; the owner's does.
    fresh = Client()
    response = sign_in(fresh, VICTIM, STRANGER_PASSWORD)
    assert response.status_code == 200 and signed_in_user_id(fresh) is None
    assert "not correct" in response.content.decode()
    # The stranger's own browser, still "waiting for the code", stays out too, even now that
    # the address is proved: only the code sent for that browser would let it go on.
    for url in ["account_email_verification_sent", "account_login", "orders:my_orders"]:
        stranger.get(reverse(url))
    enter_code(stranger, "AAAA-AAAA")
    assert signed_in_user_id(stranger) is None
    again = Client()
    sign_in(again, VICTIM, VICTIM_PASSWORD)
    assert signed_in_user_id(again) == str(user.pk)


def test_the_owner_signing_up_is_told_by_mail_and_led_to_the_reset(stranger, sign_up):
    owner = Client()
    mail.outbox.clear()
    # allauth sends one code to an address per 10 s (429 inside them): let them pass.
    cache.clear()
    response = sign_up(owner, VICTIM, password=VICTIM_PASSWORD)
    # The same answer as any sign-up; nothing created, the mail tells the owner the way in.
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email=VICTIM).count() == 1
    [message] = mails_to(VICTIM)
    assert "already" in message.subject.lower()
    assert settings.SITE_URL + reverse("account_reset_password") in message.body
    assert signed_in_user_id(owner) is None


def test_the_stranger_cannot_move_the_pending_code_to_an_address_they_hold(stranger, send):
    # The code page offers no "send it elsewhere" that would let a stranger prove an address
    # they hold for an account named by someone else's.
    page = stranger.get(reverse("account_email_verification_sent")).content.decode()
    assert 'value="change"' not in page
    send(
        stranger,
        reverse("account_email_verification_sent"),
        {"action": "change", "email": "s@evil.example"},
    )
    assert not EmailAddress.objects.filter(email="s@evil.example").exists()
    assert not mails_to("s@evil.example")


def test_links_in_account_mail_ignore_the_host_a_stranger_sends(stranger, sign_up, settings):
    settings.ALLOWED_HOSTS = ["*"]  # even if the host check were too loose
    mail.outbox.clear()
    cache.clear()
    sign_up(Client(), VICTIM, HTTP_HOST="evil.example")
    [message] = mails_to(VICTIM)
    assert "evil.example" not in message.body
    assert settings.SITE_URL + reverse("account_reset_password") in message.body
