from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from reviews.reputation import branding_checklist, figures
from support import services as support_services
from support.models import Ticket

from ..factories import ProductFactory, VariantFactory
from ..orders.helpers import place
from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db


def test_figures_on_a_fixture_with_known_numbers(support_user):
    product = ProductFactory(price=Decimal("100"))
    orders = [
        delivered_order(VariantFactory(product=product, size=f"S{n}", stock=3)) for n in range(4)
    ]
    for order, (rating, fit) in zip(
        orders[:3], [(5, "small"), (4, "true"), (3, "small")], strict=True
    ):
        review(order.lines.get(), rating=rating, fit=fit)
    # On time: shipped within 2 days of placing for 3 of 4 orders.
    Order.objects.filter(pk=orders[3].pk).update(placed_at=timezone.now() - timedelta(days=5))
    # Tickets: first answers after 2 h and 4 h (median 3 h); one satisfaction yes, one no.
    tickets = []
    for hours in (2, 4):
        ticket = support_services.open_ticket(
            email="a@example.com", name="A", topic="size", body="x"
        )
        support_services.reply_to_ticket(ticket, "answer", acting_user=support_user)
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_at=ticket.created_at + timedelta(hours=hours)
        )
        support_services.resolve_ticket(ticket, acting_user=support_user)
        tickets.append(ticket)
    support_services.answer_satisfaction(tickets[0], solved=True)
    support_services.answer_satisfaction(tickets[1], solved=False)
    care = support_services.open_ticket_from_care_check(orders[0])
    support_services.resolve_ticket(care, acting_user=support_user)
    place({VariantFactory(product=product, size="X", stock=2): 1})  # the same buyer again
    f = figures()
    assert (f["reviews"], f["mean"]) == (3, 4.0)
    assert f["fit"] == {"small": 67, "true": 33, "large": 0}
    assert f["first_response_hours"] == 3.0
    assert (f["satisfaction"], f["satisfaction_answers"]) == (50, 2)
    assert (f["on_time"], f["shipped"]) == (75, 4)
    assert (f["repeat_buyers"], f["buyers"]) == (100, 1)  # one address, five orders
    assert (f["care_problems"], f["care_fixed"]) == (1, 1)
    checks = {c["key"]: c["passed"] for c in branding_checklist(f)}
    assert (
        checks["reviews"] is False
        and checks["first_response_hours"] is True
        and checks["on_time"] is False
    )


def test_empty_shop_has_no_figures_and_is_not_ready(owner_client):
    f = figures()
    assert f["reviews"] == 0 and f["mean"] is None and f["satisfaction"] is None
    assert not any(c["passed"] for c in branding_checklist(f))
    page = owner_client.get(reverse("reputation")).content.decode()
    assert "Ready for a branding push?" in page and "Not yet" in page
    assert Client().get(reverse("reputation")).status_code == 302
