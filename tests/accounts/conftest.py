import pytest
from django.urls import reverse


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST as a browser would, running the after-commit work (account mail) like a real request."""

    def _send(client, url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return _send


@pytest.fixture
def sign_up(send):
    def _sign_up(client, email, password="linen-and-wool-42", first_name="Mei", **extra):
        data = {
            "email": email,
            "first_name": first_name,
            "last_name": "Chen",
            "password1": password,
        }
        return send(client, reverse("account_signup"), data, **extra)

    return _sign_up


@pytest.fixture
def sign_in(send):
    def _sign_in(client, email, password, **extra):
        return send(
            client, reverse("account_login"), {"login": email, "password": password}, **extra
        )

    return _sign_in


@pytest.fixture
def enter_code(send):
    def _enter_code(client, code, url_name="account_email_verification_sent"):
        return send(client, reverse(url_name), {"code": code})

    return _enter_code
