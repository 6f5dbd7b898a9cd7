"""What each of the support app's pages costs in queries, pinned at two sizes of what it shows.

A cold cache each time (the inbox's cached figures included); the staff pages include reading
the session and the user.
"""

from dataclasses import replace
from itertools import count

import pytest
from django.urls import reverse

from support import services
from support.models import CannedReply, Ticket

from ..factories import VariantFactory
from ..orders.helpers import BUYER, place
from ..reviews.helpers import delivered_order, review

pytestmark = pytest.mark.django_db

SERIAL = count()


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def busy_customer(n: int, staff) -> Ticket:
    """A new customer with n orders (one reviewed), n tickets, the last with 2n messages."""
    buyer = replace(BUYER, email=f"busy{next(SERIAL)}@example.com")
    review(delivered_order(VariantFactory(stock=5), buyer=buyer).lines.get())
    for i in range(n):
        order = place({VariantFactory(stock=5): 1}, buyer=buyer)
        ticket = services.open_ticket(
            email=buyer.email, name="Busy", topic="size", body=f"Question {i}", order=order
        )
    services.assign_ticket(ticket, staff, acting_user=staff)
    for i in range(n):
        services.reply_to_ticket(ticket, f"Answer {i}", acting_user=staff)
        services.add_internal_note(ticket, f"Note {i}", acting_user=staff)
    return ticket


def test_contact_form(client, pin_queries):
    pin_queries(client, 1, lambda n: reverse("support:new"))


def test_contact_form_from_an_order(client, pin_queries):
    def page(n):
        order = place({VariantFactory(stock=5): 1 for _ in range(n)})
        return reverse("support:new") + f"?order={order.tracking_token}"

    pin_queries(client, 2, page)


def test_customer_thread(client, support_user, pin_queries):
    pin_queries(client, 4, lambda n: busy_customer(n, support_user).get_absolute_url())


@pytest.mark.parametrize("view", ["unassigned", "mine", "open", "waiting", "all"])
def test_inbox(client, support_user, pin_queries, view):
    client.force_login(support_user)

    def page(n):
        busy_customer(n, support_user)
        services.open_ticket(email="new@example.com", name="New", topic="size", body="Hello")
        return reverse("support_manage:ticket_list") + f"?view={view}"

    pin_queries(client, 6, page)


def test_inbox_search(client, support_user, pin_queries):
    client.force_login(support_user)

    def page(n):
        busy_customer(n, support_user)
        return reverse("support_manage:ticket_list") + "?view=all&q=busy"

    pin_queries(client, 7, page)


def test_ticket_page(client, support_user, pin_queries):
    client.force_login(support_user)

    def page(n):
        CannedReply.objects.bulk_create(
            CannedReply(title=f"Reply {next(SERIAL)}", body="Hello {customer_name}")
            for _ in range(n)
        )
        return busy_customer(n, support_user).get_manage_url()

    pin_queries(client, 12, page)


def test_canned_replies(client, support_user, pin_queries):
    client.force_login(support_user)

    def page(n):
        CannedReply.objects.bulk_create(
            CannedReply(title=f"Reply {next(SERIAL)}", body="Hello") for _ in range(n)
        )
        return reverse("support_manage:canned_list")

    pin_queries(client, 4, page)
