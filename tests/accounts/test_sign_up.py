import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from orders.models import Order

from ..factories import VariantFactory
from ..orders.helpers import BUYER, place

pytestmark = pytest.mark.django_db


def sign_up(client, email="buyer@example.com", password="linen-and-wool-42"):
    return client.post(
        reverse("accounts:sign_up"),
        {"email": email, "first_name": "Mei", "last_name": "Chen", "password": password},
    )


def test_sign_up_confirm_and_see_guest_orders(client, django_capture_on_commit_callbacks):
    guest_order = place({VariantFactory(stock=3): 1})  # placed as a guest with BUYER's email
    other = place(
        {VariantFactory(stock=3): 1},
        buyer=BUYER.__class__(**{**BUYER.__dict__, "email": "x@example.com"}),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email="buyer@example.com")
    # Before confirming, guest orders are not shown: an address is not proof of ownership.
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert guest_order.number not in page and "Send the link again" in page
    [email] = mail.outbox
    link = re.search(r"http://[^\s]+/account/confirm/[^\s]+/", email.body).group(0)
    path = link.split("8000", 1)[1] if "8000" in link else link
    # Opening the link changes nothing; the button does.
    assert client.get(path).status_code == 200
    user.refresh_from_db()
    assert user.email_confirmed_at is None
    client.post(path)
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert guest_order.number in page and other.number not in page


def test_forged_confirmation_link_is_refused(client, customer):
    response = client.post(reverse("accounts:confirm", args=["forged-token"]))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    customer.refresh_from_db()
    assert customer.email_confirmed_at is None


def test_sign_up_refuses_weak_password_and_taken_email(client, customer):
    response = sign_up(client, password="123")
    assert response.status_code == 422 and "too short" in response.content.decode()
    response = sign_up(client, email="customer@example.com")
    assert "An account with this email exists" in response.content.decode()
    assert User.objects.count() == 1


def test_my_orders_needs_sign_in(client):
    response = client.get(reverse("orders:my_orders"))
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]
    assert Order.objects.count() == 0
