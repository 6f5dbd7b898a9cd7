"""Every account page is a card in the site's frame, at the address the shop promised."""

import re

import pytest
from django.test import Client
from django.urls import resolve, reverse

from .helpers import mails_to

pytestmark = pytest.mark.django_db


def in_site_frame(response) -> bool:
    text = response.content.decode()
    return 'class="site-header"' in text and 'class="card"' in text


def test_sign_in_page_keeps_its_labels_and_address(client):
    assert reverse("account_login") == "/account/sign-in/"
    assert reverse("account_signup") == "/account/sign-up/"
    assert reverse("account_logout") == "/account/sign-out/"
    response = client.get(reverse("account_login"))
    text = response.content.decode()
    assert response.status_code == 200 and in_site_frame(response)
    assert re.search(r'<label for="id_login">Email</label>', text)
    assert re.search(r'<label for="id_password">Password</label>', text)
    assert '<button type="submit">Sign in</button>' in text
    assert reverse("account_reset_password") in text and reverse("account_signup") in text


@pytest.mark.parametrize(
    "name", ["account_login", "account_signup", "account_reset_password", "account_inactive"]
)
def test_public_pages_render_in_the_site_frame(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200 and in_site_frame(response)


@pytest.mark.parametrize(
    "name",
    ["account_email", "account_change_password", "account_logout", "account_reauthenticate"],
)
def test_signed_in_pages_render_in_the_site_frame(client, customer, name):
    client.force_login(customer)
    response = client.get(reverse(name))
    assert response.status_code == 200 and in_site_frame(response)


def test_code_pages_render_in_the_site_frame(client, customer, send, sign_up):
    sign_up(client, "new@example.com")
    response = client.get(reverse("account_email_verification_sent"))
    assert response.status_code == 200 and in_site_frame(response)
    assert "new@example.com" in response.content.decode()
    reset = Client()
    send(reset, reverse("account_reset_password"), {"email": customer.email})
    response = reset.get(reverse("account_confirm_password_reset_code"))
    assert response.status_code == 200 and in_site_frame(response)


def test_sign_out_is_a_post_and_a_get_only_asks(client, customer):
    client.force_login(customer)
    client.get(reverse("account_logout"))
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_header_links_sign_in_and_out(client, customer):
    text = client.get(reverse("shop:home")).content.decode()
    assert f'href="{reverse("account_login")}"' in text
    client.force_login(customer)
    text = client.get(reverse("shop:home")).content.decode()
    assert f'action="{reverse("account_logout")}"' in text


def test_each_account_address_is_routed_once():
    from config.urls import urlpatterns

    account = next(p for p in urlpatterns if str(p.pattern) == "account/")
    routes = [str(p.pattern) for p in account.url_patterns]
    assert len(routes) == len(set(routes))
    names = [p.name for p in account.url_patterns]
    assert len(names) == len(set(names)) and all(n.startswith("account_") for n in names)
    for route in routes:
        assert resolve("/account/" + route).url_name.startswith("account_")


def test_account_mail_is_plain_text_with_the_shop_name(client, send, sign_up):
    from shop.models import ShopProfile

    profile = ShopProfile.load()
    sign_up(client, "new@example.com")
    [message] = mails_to("new@example.com")
    assert not getattr(message, "alternatives", [])
    assert profile.name in message.body
    assert "<" not in message.body  # no markup in a text mail
