"""What each of the orders app's pages costs in queries, pinned at two sizes of what it shows.

A cold cache each time; the signed-in pages include reading the session and the user.
"""

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order

from ..factories import VariantFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def order_of(n: int, **kwargs) -> Order:
    """An order of n garments, each a variant of its own product."""
    return place({VariantFactory(stock=5): 1 for _ in range(n)}, **kwargs)


def fill_cart(client, n: int) -> None:
    for _ in range(n):
        variant = VariantFactory(stock=5)
        client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})


def test_cart(client, pin_queries):
    # The shop profile comes from the cache (read once on a cold one): session, variants, it.
    pin_queries(client, 3, lambda n: fill_cart(client, n) or reverse("orders:cart"))


def test_checkout_form(client, pin_queries):
    pin_queries(client, 3, lambda n: fill_cart(client, n) or reverse("orders:checkout"))


def test_thanks_page(client, pin_queries):
    # The session; the order and its lines in one query.
    page = lambda n: reverse("orders:thanks", args=[order_of(n).tracking_token])  # noqa: E731
    pin_queries(client, 2, page)


def test_tracking_page(client, pin_queries):
    def page(n):
        order = order_of(n)
        services.mark_shipped(order, carrier="SF", tracking_number="SF1")
        return services.mark_delivered(order).get_absolute_url()

    pin_queries(client, 4, page)


def test_my_orders(client, customer, pin_queries):
    client.force_login(customer)

    def page(n):
        for _ in range(n):
            order_of(2, customer=customer)
        return reverse("orders:my_orders")

    pin_queries(client, 6, page)


# ----------------------------------------------------------------- the owner's pages
def test_manage_order_list(owner_client, pin_queries):
    page = lambda n: [order_of(2) for _ in range(n)] and reverse("orders_manage:order_list")  # noqa: E731
    pin_queries(owner_client, 7, page)


def test_manage_order_list_filtered(owner_client, pin_queries):
    url = reverse("orders_manage:order_list") + "?q=example&status=placed&placed_from=2000-01-01"
    pin_queries(owner_client, 7, lambda n: [order_of(2) for _ in range(n)] and url)


def test_manage_order_page(owner_client, owner, pin_queries):
    def page(n):
        order = order_of(n)
        services.mark_shipped(order, carrier="SF", tracking_number="SF1", acting_user=owner)
        return services.mark_delivered(order, acting_user=owner).get_manage_url()

    pin_queries(owner_client, 7, page)


def test_packing_slip(owner_client, pin_queries):
    page = lambda n: reverse("orders_manage:packing_slip", args=[order_of(n).pk])  # noqa: E731
    pin_queries(owner_client, 5, page)


def test_manage_order_export(owner_client, pin_queries):
    page = lambda n: [order_of(2) for _ in range(n)] and reverse("orders_manage:order_export")  # noqa: E731
    pin_queries(owner_client, 3, page)
