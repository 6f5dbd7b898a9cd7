"""The owner's home, /manage/: today's work first, each item a count and a link to act on it,
at a fixed number of queries; and the menu lights the current section only."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from orders.models import Order
from shop import staff_cache
from support import services as support_services
from support.models import Ticket

from ..factories import ProductFactory, VariantFactory
from ..orders.helpers import place
from ..reviews.helpers import delivered_order, review

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def item(html: str, item_id: str) -> str:
    """The text of one today's-work item, tags stripped and spaces collapsed."""
    found = re.search(rf'<li [^>]*id="{item_id}"[^>]*>(.*?)</li>', html, re.S)
    assert found, f"no {item_id} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def href(html: str, item_id: str) -> str:
    found = re.search(rf'<li [^>]*id="{item_id}"[^>]*><a href="([^"]+)"', html)
    assert found, f"no link in {item_id}"
    return found.group(1).replace("&amp;", "&")


def busy_day(n: int) -> None:
    """n of everything the home counts: paid and cash orders, late ones, open and overdue
    tickets, unreplied reviews, failed follow-ups, garments out of stock."""
    for _ in range(n):
        place({VariantFactory(stock=5): 1})  # cash on delivery, just placed
        paid = place({VariantFactory(stock=5): 1}, payment_method="cod")
        Order.objects.filter(pk=paid.pk).update(
            status=Order.Status.PAID, paid_at=timezone.now() - timedelta(hours=60)
        )
        ticket = support_services.open_ticket(
            email="a@example.com", name="A", topic="size", body="Which size?"
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_due=timezone.now() - timedelta(hours=1)
        )
        review(delivered_order().lines.first())
        VariantFactory(product=ProductFactory(), stock=0)
    FollowUp.objects.filter(state=FollowUp.State.PLANNED).update(state=FollowUp.State.FAILED)


def test_the_owner_sees_todays_work_with_links_to_act(owner_client, settings):
    busy_day(2)
    # One cash order placed three days ago: late for cash on delivery.
    old = place({VariantFactory(stock=5): 1})
    Order.objects.filter(pk=old.pk).update(placed_at=timezone.now() - timedelta(hours=72))
    settings.ORDERS_SHIP_WITHIN_HOURS = 48

    html = owner_client.get(reverse("shop_manage:dashboard")).content.decode()

    assert html.index('id="today-heading"') < html.index("garments on sale")
    assert item(html, "today-to-ship").startswith("5 orders to ship (3 cash on delivery)")
    assert "?work=to_ship" in href(html, "today-to-ship")
    assert item(html, "today-late").startswith("3 late: waiting more than 48 hours")
    assert "Late" in item(html, "today-late")
    # Each link opens the orders list showing exactly what its figure counts.
    for item_id, count in (("today-to-ship", 5), ("today-late", 3)):
        listed = owner_client.get(href(html, item_id)).content.decode()
        assert listed.count("<tr><td><a href") == count, item_id
    cod_link = re.search(r'href="([^"]*work=cod)"', html).group(1).replace("&amp;", "&")
    listed = owner_client.get(cod_link).content.decode()
    assert listed.count("<tr><td><a href") == 3
    assert item(html, "today-open-tickets") == "2 open tickets"
    assert href(html, "today-open-tickets") == reverse("support_manage:ticket_list") + "?view=open"
    assert item(html, "today-overdue-tickets") == "2 overdue tickets Overdue"
    assert href(html, "today-overdue-tickets").endswith("?view=overdue")
    assert item(html, "today-unreplied") == "2 reviews without a reply"
    assert href(html, "today-unreplied").endswith("?replied=no&status=published")
    failed = FollowUp.objects.filter(state=FollowUp.State.FAILED).count()
    assert failed >= 2  # each delivered order planned its follow-ups
    assert item(html, "today-failed-follow-ups").startswith(f"{failed} follow-up")
    assert href(html, "today-failed-follow-ups") == reverse("followups:dashboard")
    assert item(html, "today-out-of-stock") == "2 garments out of stock"
    assert href(html, "today-out-of-stock").endswith("?show=sold_out")


def test_the_late_threshold_follows_the_setting(owner_client, settings, monkeypatch):
    paid = place({VariantFactory(stock=5): 1})
    Order.objects.filter(pk=paid.pk).update(
        status=Order.Status.PAID, paid_at=timezone.now() - timedelta(hours=30)
    )
    url = reverse("shop_manage:dashboard")
    settings.ORDERS_SHIP_WITHIN_HOURS = 48
    assert item(owner_client.get(url).content.decode(), "today-late").startswith("0 late")
    settings.ORDERS_SHIP_WITHIN_HOURS = 24
    # A setting changes with a restart, which keeps the cache: the staff page cache shows the
    # new threshold from its next minute on.
    later = staff_cache.minute() + 1
    monkeypatch.setattr(staff_cache, "minute", lambda: later)
    html = owner_client.get(url).content.decode()
    assert item(html, "today-late").startswith("1 late: waiting more than 24 hours")


def test_a_shipped_order_is_no_more_work(owner_client):
    delivered_order()
    html = owner_client.get(reverse("shop_manage:dashboard")).content.decode()
    assert item(html, "today-to-ship").startswith("0 orders to ship")


def test_support_sees_the_tickets_but_not_the_owners_work(client, support_user):
    busy_day(1)
    client.force_login(support_user)
    html = client.get(reverse("shop_manage:dashboard")).content.decode()
    assert item(html, "today-open-tickets") == "1 open ticket"
    for owner_only in ("today-to-ship", "today-unreplied", "today-failed-follow-ups"):
        assert f'id="{owner_only}"' not in html
    assert 'id="today-out-of-stock"' not in html


def test_the_home_costs_the_same_on_a_busy_day(owner_client, pin_queries):
    def page(n):
        busy_day(n)
        return reverse("shop_manage:dashboard")

    pin_queries(owner_client, 9, page)


# ----------------------------------------------------------------- the menu
def current_links(html: str) -> list[str]:
    nav = html[html.index('aria-label="Manage"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'<a href="([^"]+)" aria-current="page">', nav)


@pytest.mark.parametrize(
    "url",
    [
        "/manage/",
        "/manage/follow-ups/",
        "/manage/orders/",
        "/manage/tickets/",
        "/manage/reviews/",
        "/manage/reputation/",
        "/manage/products/",
        "/manage/categories/",
        "/manage/stock/",
        "/manage/shop/",
    ],
)
def test_the_menu_lights_the_current_section_only(owner_client, url):
    html = owner_client.get(url).content.decode()
    assert current_links(html) == [url]


def test_a_page_inside_a_section_lights_that_section(owner_client):
    assert current_links(owner_client.get("/manage/tickets/canned/").content.decode()) == [
        "/manage/tickets/"
    ]
    assert current_links(owner_client.get("/manage/products/new/").content.decode()) == [
        "/manage/products/"
    ]
