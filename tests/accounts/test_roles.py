import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import OWNER, SUPPORT

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

OWNER_PAGES = [
    ("shop_manage:product_list", {}),
    ("shop_manage:product_create", {}),
    ("shop_manage:product_export", {}),
    ("shop_manage:product_import", {}),
    ("shop_manage:stock_list", {}),
    ("shop_manage:shop_profile", {}),
]


def test_roles_exist_from_data_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {OWNER, SUPPORT}


def _owner_urls():
    product = ProductFactory()
    variant = VariantFactory(product=product)
    urls = [("get", reverse(name, kwargs=kw)) for name, kw in OWNER_PAGES]
    urls += [
        ("get", reverse("shop_manage:product_edit", args=[product.pk])),
        ("post", reverse("shop_manage:product_duplicate", args=[product.pk])),
        ("post", reverse("shop_manage:product_archive", args=[product.pk])),
        ("post", reverse("shop_manage:image_upload", args=[product.pk])),
        ("post", reverse("shop_manage:stock_adjust", args=[variant.pk])),
    ]
    return urls


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for method, url in _owner_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


@pytest.mark.parametrize("who", ["customer", "support_user"])
def test_customer_and_support_are_refused(client, who, request):
    client.force_login(request.getfixturevalue(who))
    for method, url in _owner_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
    # Nothing was changed by the refused posts.
    assert ProductFactory._meta.model.objects.filter(status="archived").count() == 0


def test_owner_is_let_in(owner_client):
    for method, url in _owner_urls():
        if method == "get":
            assert owner_client.get(url).status_code == 200, url


def test_dashboard_lets_support_in_but_shows_no_owner_links(client, support_user):
    client.force_login(support_user)
    response = client.get(reverse("shop_manage:dashboard"))
    assert response.status_code == 200
    assert reverse("shop_manage:product_list") not in response.content.decode()


def test_dashboard_refuses_customer(client, customer):
    client.force_login(customer)
    assert client.get(reverse("shop_manage:dashboard")).status_code == 403


def test_sign_in_with_email_and_sign_out(client, owner):
    response = client.post(
        reverse("account_login"), {"login": "owner@example.com", "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert client.get(reverse("shop_manage:product_list")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("shop_manage:product_list")).status_code == 302


def test_wrong_password_shows_a_message(client, owner):
    response = client.post(
        reverse("account_login"), {"login": "owner@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert "password you specified are not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


# ------------------------------------------- the session's user comes with their roles
def test_a_signed_in_staff_page_loads_the_user_and_roles_in_one_query(client, support_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(support_user)
    client.get(reverse("support_manage:ticket_list"))  # the page itself now cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("support_manage:ticket_list")).status_code == 200
    (query,) = [q["sql"] for q in captured.captured_queries]
    assert "accounts_user_groups" in query


def test_a_role_taken_away_holds_from_the_next_request(client, support_user):
    client.force_login(support_user)
    inbox = reverse("support_manage:ticket_list")
    assert client.get(inbox).status_code == 200
    support_user.groups.clear()
    assert client.get(inbox).status_code == 403
    support_user.groups.add(Group.objects.get(name=OWNER))
    assert client.get(reverse("shop_manage:product_list")).status_code == 200


def test_a_user_in_another_group_too_has_every_role_right(support_user):
    from accounts.backends import RolesModelBackend

    support_user.groups.add(Group.objects.create(name="Packers"))
    user = RolesModelBackend().get_user(support_user.pk)
    assert user.has_role(SUPPORT) and user.has_role("Packers") and not user.has_role(OWNER)
    support_user.groups.remove(Group.objects.get(name="Packers"))
    alone = RolesModelBackend().get_user(support_user.pk)
    assert alone.has_role(SUPPORT) and not alone.has_role("Packers")


def test_an_inactive_user_is_no_longer_signed_in(client, support_user):
    client.force_login(support_user)
    support_user.is_active = False
    support_user.save()
    assert client.get(reverse("support_manage:ticket_list")).status_code == 302
