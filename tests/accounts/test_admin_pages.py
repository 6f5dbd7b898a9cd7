"""The Django admin's user pages work with an email-only user model."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_superuser_adds_and_edits_a_user_in_the_admin(client):
    admin = User.objects.create_superuser(email="root@example.com", password="x-pass-123")
    client.force_login(admin)
    assert client.get("/django-admin/accounts/user/add/").status_code == 200
    response = client.post(
        "/django-admin/accounts/user/add/",
        {
            "email": "New@Example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a-long-pass-phrase-9")
    assert client.get(f"/django-admin/accounts/user/{user.pk}/change/").status_code == 200


def test_the_admin_refuses_an_address_that_differs_only_in_case(client):
    admin = User.objects.create_superuser(email="root@example.com", password="x-pass-123")
    client.force_login(admin)
    response = client.post(
        "/django-admin/accounts/user/add/",
        {
            "email": "ROOT@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert User.objects.count() == 1
