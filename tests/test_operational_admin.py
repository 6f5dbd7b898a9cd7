"""Django's admin for operations: at ADMIN_URL, for the owner and superusers; read-only where
an edit would bypass the services."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from followups.models import DispatcherRun, FollowUp, Suppression
from messaging.models import Message
from payments.models import PaymentAttempt, Refund
from shop.models import Category, CategoryOldSlug
from tests.factories import CategoryFactory
from tests.followups.helpers import delivered_to

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
A = "/django-admin"
READ_ONLY = [
    "followups/followup",
    "followups/dispatcherrun",
    "followups/suppression",
    "messaging/message",
    "payments/paymentattempt",
    "payments/refund",
]
EDITABLE = ["shop/category", "support/cannedreply", "accounts/user"]


@pytest.fixture
def operations():
    """One row in each read-only table, made by the services."""
    order = delivered_to("buyer@example.com")
    DispatcherRun.objects.create(started_at=timezone.now() - timedelta(minutes=1))
    Suppression.objects.create(email="gone@example.com", reason="bounce")
    attempt = PaymentAttempt.objects.create(
        order=order,
        gateway="alipay",
        out_trade_no="T20261202000001",
        amount=order.total,
        state="paid",
        expires_at=timezone.now(),
    )
    Refund.objects.create(attempt=attempt, out_refund_no="R20261202000001", amount=1)
    return order


@pytest.fixture
def superuser():
    return User.objects.create_superuser(email="root@example.com", password="x-pass-123")


@pytest.mark.parametrize("who", ["owner", "superuser"])
def test_the_owner_and_a_superuser_open_every_changelist(client, request, operations, who):
    client.force_login(request.getfixturevalue(who))
    index = client.get(f"{A}/")
    assert index.status_code == 200
    for table in READ_ONLY + (EDITABLE if who == "superuser" else EDITABLE[:2]):
        response = client.get(f"{A}/{table}/")
        assert response.status_code == 200, table
        assert f'href="{A}/{table}/"' in index.content.decode(), table


def test_read_only_tables_refuse_edits(owner_client, operations):
    follow_up = FollowUp.objects.filter(order=operations).first()
    message = Message.objects.first()
    suppression = Suppression.objects.get()
    attempt = PaymentAttempt.objects.get()
    for table, row in [
        ("payments/paymentattempt", attempt),
        ("payments/refund", attempt.refunds.get()),
        ("followups/followup", follow_up),
        ("messaging/message", message),
        ("followups/suppression", suppression),
    ]:
        assert owner_client.get(f"{A}/{table}/add/").status_code == 403
        assert owner_client.post(f"{A}/{table}/add/", {}).status_code == 403
        assert (
            owner_client.post(f"{A}/{table}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
        )
        page = owner_client.get(f"{A}/{table}/{row.pk}/change/")
        assert page.status_code == 200 and b'name="_save"' not in page.content  # a view only
        owner_client.post(f"{A}/{table}/{row.pk}/change/", {"state": "sent", "email": "x@y.z"})
    assert FollowUp.objects.get(pk=follow_up.pk).state == follow_up.state
    assert Suppression.objects.get().email == "gone@example.com"
    assert PaymentAttempt.objects.get().state == "paid" and Refund.objects.count() == 1
    assert Message.objects.count() >= 1
    # The email's text, with the buyer's private links, is never shown.
    page = owner_client.get(f"{A}/messaging/message/{message.pk}/change/").content.decode()
    assert operations.tracking_token not in page


def test_categories_are_edited_through_the_service(owner_client):
    category = CategoryFactory(name="Shirts", slug="shirts")
    response = owner_client.post(
        f"{A}/shop/category/{category.pk}/change/",
        {"name_zh_hans": "衬衫", "name_en": "Shirts", "slug": "tops", "position": 0},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Category.objects.get(pk=category.pk).slug == "tops"
    assert CategoryOldSlug.objects.filter(slug="shirts").exists()  # the old address redirects


@pytest.mark.parametrize("who", ["customer", "support_user"])
def test_other_users_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"{A}/").status_code == 302  # to the admin's sign-in
    assert client.get(f"{A}/followups/followup/").status_code == 302
    assert client.get(f"{A}/shop/category/").status_code == 302


def test_production_has_no_admin_until_admin_url_names_one():
    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "for path in ('/django-admin/', '/admin/', '/ops-7f3a/'):\n"
        "    try: resolve(path); print(path, 'routed')\n"
        "    except Resolver404: print(path, 'none')\n"
    )

    def routes(**env):
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ADMIN_"))
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="s" * 60,
            SMS_PROVIDER="messaging.sms.console.ConsoleSms",
            **env,
        )
        result = subprocess.run(  # noqa: S603 - our interpreter and code
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert routes() == ["/django-admin/", "none", "/admin/", "none", "/ops-7f3a/", "none"]
    assert routes(ADMIN_URL="/ops-7f3a/") == [
        "/django-admin/",
        "none",
        "/admin/",
        "none",
        "/ops-7f3a/",
        "routed",
    ]
