import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User

from .helpers import code_in, mails_to, signed_in_user_id

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-pass-31"


def request_reset(send, client, email):
    mail.outbox.clear()
    return send(client, reverse("account_reset_password"), {"email": email})


def choose(send, client, password):
    return send(
        client,
        reverse("account_complete_password_reset"),
        {"password1": password, "password2": password},
    )


def test_password_reset_end_to_end(client, customer, send, enter_code, sign_in):
    response = request_reset(send, client, customer.email)
    assert response["Location"] == reverse("account_confirm_password_reset_code")
    page = client.get(response["Location"]).content.decode()
    assert customer.email in page and 'name="code"' in page
    [message] = mails_to(customer.email)
    assert not getattr(message, "alternatives", [])
    response = enter_code(client, code_in(message), url_name="account_confirm_password_reset_code")
    assert response["Location"] == reverse("account_complete_password_reset")
    response = choose(send, client, NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(customer.pk)
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    # The old password is gone, the new one signs in.
    assert sign_in(Client(), customer.email, "pass-word-123").status_code == 200
    fresh = Client()
    sign_in(fresh, customer.email, NEW_PASSWORD)
    assert signed_in_user_id(fresh) == str(customer.pk)


def test_the_new_password_page_needs_the_code_first(client, customer, send):
    request_reset(send, client, customer.email)
    response = choose(send, client, NEW_PASSWORD)
    assert response["Location"] == reverse("account_confirm_password_reset_code")
    customer.refresh_from_db()
    assert not customer.check_password(NEW_PASSWORD)
    # And without any reset asked for at all.
    response = choose(send, Client(), NEW_PASSWORD)
    assert response["Location"] == reverse("account_reset_password")


def test_three_wrong_codes_end_the_reset(client, customer, send, enter_code):
    request_reset(send, client, customer.email)
    real = code_in(mails_to(customer.email)[0])
    for wrong in ["AAAA-AAAA", "'; DROP TABLE accounts_user; --", "x" * 1000]:
        enter_code(client, wrong, url_name="account_confirm_password_reset_code")
    response = enter_code(client, real, url_name="account_confirm_password_reset_code")
    assert response["Location"] == reverse("account_login")
    assert choose(send, client, NEW_PASSWORD).status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("pass-word-123")


def test_a_reset_code_works_only_in_the_browser_that_asked(customer, send, enter_code):
    asker, other = Client(), Client()
    request_reset(send, asker, customer.email)
    code = code_in(mails_to(customer.email)[0])
    response = enter_code(other, code, url_name="account_confirm_password_reset_code")
    assert response["Location"] == reverse("account_login")
    assert choose(send, other, NEW_PASSWORD)["Location"] == reverse("account_reset_password")
    assert User.objects.get(pk=customer.pk).check_password("pass-word-123")


def test_a_weak_new_password_is_refused(client, customer, send, enter_code):
    request_reset(send, client, customer.email)
    enter_code(client, code_in(mails_to(customer.email)[0]), "account_confirm_password_reset_code")
    response = choose(send, client, "12345678")
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    customer.refresh_from_db()
    assert customer.check_password("pass-word-123")
