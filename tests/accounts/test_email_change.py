import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User

from ..factories import UserFactory, VariantFactory
from ..orders.helpers import BUYER, place
from .helpers import code_in, mails_to

pytestmark = pytest.mark.django_db


def guest_order(email):
    return place(
        {VariantFactory(stock=3): 1}, buyer=BUYER.__class__(**{**BUYER.__dict__, "email": email})
    )


def change_to(send, client, email):
    mail.outbox.clear()
    return send(client, reverse("account_email"), {"email": email, "action_add": ""})


def test_changing_the_address_needs_its_code_and_moves_the_guest_orders(client, send, enter_code):
    user = UserFactory(email="old@example.com")
    old_order, new_order = guest_order("old@example.com"), guest_order("new@example.com")
    client.force_login(user)
    response = change_to(send, client, "new@example.com")
    assert response["Location"] == reverse("account_email_verification_sent")
    # Until the code is entered, nothing moves.
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert old_order.number in page and new_order.number not in page
    [message] = mails_to("new@example.com")
    enter_code(client, code_in(message))
    user.refresh_from_db()
    assert user.email == "new@example.com" and user.verified_email() == "new@example.com"
    assert not EmailAddress.objects.filter(email="old@example.com").exists()
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert new_order.number in page and old_order.number not in page
    # The address that held the account is told.
    assert mails_to("old@example.com")


def test_a_wrong_code_leaves_the_address_as_it_was(client, send, enter_code):
    user = UserFactory(email="old@example.com")
    new_order = guest_order("new@example.com")
    client.force_login(user)
    change_to(send, client, "new@example.com")
    enter_code(client, "AAAA-AAAA")
    user.refresh_from_db()
    assert user.email == "old@example.com" and user.verified_email() == "old@example.com"
    assert new_order.number not in client.get(reverse("orders:my_orders")).content.decode()


def test_another_accounts_address_cannot_be_taken(client, send, enter_code):
    user = UserFactory(email="me@example.com")
    UserFactory(email="them@example.com")
    their_order = guest_order("them@example.com")
    client.force_login(user)
    response = change_to(send, client, "them@example.com")
    assert response.status_code in (200, 302)
    assert User.objects.get(pk=user.pk).email == "me@example.com"
    assert not EmailAddress.objects.filter(
        user=user, email="them@example.com", verified=True
    ).exists()
    assert their_order.number not in client.get(reverse("orders:my_orders")).content.decode()


@pytest.mark.parametrize(
    "value", [("a" * 300) + "@example.com", "not an address", "me@exa\r\nmple.com"]
)
def test_a_bad_new_address_is_refused(client, send, value):
    user = UserFactory(email="me@example.com")
    client.force_login(user)
    response = change_to(send, client, value)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "me@example.com"
    ]
    assert not mail.outbox


def test_the_email_page_needs_sign_in(client):
    response = client.get(reverse("account_email"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
