import csv
import io

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order

from ..factories import VariantFactory
from .helpers import BUYER, place

pytestmark = pytest.mark.django_db


def action(client, order, name, data=None):
    return client.post(reverse("orders_manage:order_action", args=[order.pk, name]), data or {})


def test_staff_pages_refuse_anonymous_customer_and_support(client, customer, support_user):
    order = place({VariantFactory(stock=2): 1})
    urls = [
        reverse("orders_manage:order_list"),
        reverse("orders_manage:order_export"),
        reverse("orders_manage:order_detail", args=[order.pk]),
        reverse("orders_manage:packing_slip", args=[order.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    assert (
        action(
            client, order, "ship", {"carrier": "sf", "tracking_number": "SF123456789012"}
        ).status_code
        == 302
    )
    for user in (customer, support_user):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        assert action(client, order, "cancel", {"reason": "x"}).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_owner_ships_and_delivers_with_emails(
    owner_client, owner, django_capture_on_commit_callbacks
):
    order = place({VariantFactory(stock=2): 1})
    with django_capture_on_commit_callbacks(execute=True):
        response = action(
            owner_client,
            order,
            "ship",
            {"carrier": "sf", "tracking_number": "SF1234567890199"},
        )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (
        "shipped",
        "SF Express",
        "SF1234567890199",
    )
    assert order.tracking_url.endswith("/waybill-detail/SF1234567890199")
    with django_capture_on_commit_callbacks(execute=True):
        action(owner_client, order, "deliver")
    order.refresh_from_db()
    assert order.status == "delivered"
    subjects = [m.subject for m in mail.outbox]
    assert any("on its way" in s for s in subjects) and any("was delivered" in s for s in subjects)
    shipped = next(m for m in mail.outbox if "on its way" in m.subject)
    assert "SF1234567890199" in shipped.body and order.get_absolute_url() in shipped.body
    assert order.tracking_url in shipped.body
    page = owner_client.get(reverse("orders_manage:order_detail", args=[order.pk])).content.decode()
    assert "Shipped" in page and owner.get_full_name() in page


def test_illegal_move_in_the_browser_gets_a_message(owner_client):
    order = place({VariantFactory(stock=2): 1})
    response = action(owner_client, order, "deliver")
    assert response.status_code == 409
    assert "Only a shipped order can be marked delivered" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_a_refused_action_answers_the_whole_page_with_every_part(owner_client, delivered_order):
    """The 409 page is the order page itself, with what higher apps add to it (follow-ups)."""
    order = delivered_order()

    def parts(html: str) -> str:  # between the next step and the timeline
        return html.split("Nothing left to do on this order.</p>")[1].split("<h2>Timeline</h2>")[0]

    page = owner_client.get(order.get_manage_url()).content.decode()
    refused = action(owner_client, order, "deliver")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Only a shipped order can be marked delivered" in html
    assert 'id="follow-ups"' in parts(page) and "Review request" in parts(page)
    assert parts(html) == parts(page)


def test_ship_without_tracking_number_is_refused(owner_client):
    order = place({VariantFactory(stock=2): 1})
    response = action(owner_client, order, "ship", {"carrier": "sf"})
    assert response.status_code == 409
    assert "This field is required" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_cancel_with_reason_restocks(owner_client):
    variant = VariantFactory(stock=2)
    order = place({variant: 2})
    action(owner_client, order, "cancel", {"reason": "Out of fabric"})
    variant.refresh_from_db()
    order.refresh_from_db()
    assert (order.status, variant.stock) == ("cancelled", 2)


def test_list_filters_search_and_export(owner_client):
    from dataclasses import replace

    a = place({VariantFactory(stock=2): 1})
    b = place(
        {VariantFactory(stock=2): 1}, buyer=replace(BUYER, email="li@example.com", name="Li Na")
    )
    Order.objects.filter(pk=b.pk).update(status="cancelled")
    html = owner_client.get(
        reverse("orders_manage:order_list"), {"q": "li@example"}
    ).content.decode()
    assert b.number in html and a.number not in html
    html = owner_client.get(reverse("orders_manage:order_list"), {"q": a.number}).content.decode()
    assert a.number in html and b.number not in html
    html = owner_client.get(
        reverse("orders_manage:order_list"), {"status": "cancelled"}
    ).content.decode()
    assert b.number in html and a.number not in html
    html = owner_client.get(
        reverse("orders_manage:order_list"),
        {"placed_from": "2000-01-01", "placed_to": "2000-01-02"},
    ).content.decode()
    assert a.number not in html and "No order matches" in html
    export = owner_client.get(reverse("orders_manage:order_export"), {"status": "cancelled"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == [b.number]


def test_packing_slip_lists_skus_and_address(owner_client):
    order = place({VariantFactory(stock=2, sku="PS-1"): 2})
    html = owner_client.get(reverse("orders_manage:packing_slip", args=[order.pk])).content.decode()
    assert "PS-1" in html and "12 Riverside Road" in html and order.number in html


def test_the_tracking_page_has_the_review_and_help_links_of_the_apps_above(client, delivered_order):
    order = delivered_order()
    page = client.get(order.get_absolute_url()).content.decode()
    timeline = page.index('id="timeline"')
    review_link, help_link = page.index('id="review-link"'), page.index('id="help-link"')
    assert timeline < review_link < help_link
    assert f'href="/support/new/?order={order.tracking_token}"' in page
    open_order = place({VariantFactory(stock=2): 1})
    page = client.get(open_order.get_absolute_url()).content.decode()
    assert 'id="review-link"' not in page and 'id="help-link"' in page


def test_a_filter_that_does_not_parse_narrows_nothing_silently(owner_client):
    """A mistyped date used to drop every filter: the list showed, and the export wrote, all orders."""
    kept = place({VariantFactory(stock=2): 1})
    Order.objects.filter(pk=kept.pk).update(status="cancelled")
    other = place({VariantFactory(stock=2): 1})
    bad = {"status": "cancelled", "placed_from": "2026-13-45"}

    page = owner_client.get(reverse("orders_manage:order_list"), bad)
    html = page.content.decode()
    assert page.status_code == 400
    assert other.number not in html and kept.number not in html
    assert "Enter a valid date" in html

    export = owner_client.get(reverse("orders_manage:order_export"), bad)
    assert export.status_code == 400
    assert export["Content-Type"].startswith("text/plain")
    assert other.number not in export.content.decode()
