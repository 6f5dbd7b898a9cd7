"""The staff pages' cached figures (issue 18): the owner's home and the reputation page read
their aggregates once, then from the cache; a change through the services shows at once."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services as order_services
from reviews import services as review_services
from shop import cache as shop_cache
from shop import staff_cache
from support import services as support_services

from ..factories import VariantFactory
from ..orders.helpers import place
from ..reviews.helpers import delivered_order, review
from .test_dashboard import item

pytestmark = pytest.mark.django_db

AUTH = 1  # the user with their roles (accounts.backends; the session is read from the cache)


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_home_reads_its_figures_once_then_follows_every_change(
    owner_client, owner, django_capture_on_commit_callbacks
):
    url = reverse("shop_manage:dashboard")
    cold, html = queries(owner_client, url)
    warm, html = queries(owner_client, url)
    assert warm == AUTH < cold  # every figure cached: only signing in is read
    assert item(html, "today-to-ship").startswith("0 orders")

    with django_capture_on_commit_callbacks(execute=True):
        order = place({VariantFactory(stock=50): 1})
    assert item(owner_client.get(url).content.decode(), "today-to-ship").startswith("1 order")
    with django_capture_on_commit_callbacks(execute=True):
        order_services.mark_shipped(order, carrier="SF", tracking_number="SF1", acting_user=owner)
    html = owner_client.get(url).content.decode()
    assert item(html, "today-to-ship").startswith("0 orders")

    with django_capture_on_commit_callbacks(execute=True):
        support_services.open_ticket(email="a@example.com", name="A", topic="size", body="Hi")
    assert item(owner_client.get(url).content.decode(), "today-open-tickets") == "1 open ticket"

    with django_capture_on_commit_callbacks(execute=True):
        published = review(delivered_order().lines.first())
    html = owner_client.get(url).content.decode()
    assert item(html, "today-unreplied") == "1 review without a reply"
    with django_capture_on_commit_callbacks(execute=True):
        review_services.reply_to_review(published, body="Thank you!", acting_user=owner)
    html = owner_client.get(url).content.decode()
    assert "today-unreplied" not in html or item(html, "today-unreplied").startswith("0")


def a_minute_later(monkeypatch):
    """As if a minute had gone by: figures expired, the staff pages in the next time bucket."""
    monkeypatch.setattr(shop_cache, "FIGURES_SECONDS", 0)
    later = staff_cache.minute() + 1
    monkeypatch.setattr(staff_cache, "minute", lambda: later)


def test_figures_expire_within_a_minute(owner_client, monkeypatch):
    url = reverse("shop_manage:dashboard")
    owner_client.get(url)
    assert queries(owner_client, url)[0] == AUTH
    a_minute_later(monkeypatch)
    cache.clear()
    owner_client.get(url)
    a_minute_later(monkeypatch)
    assert queries(owner_client, url)[0] > AUTH


def test_the_reputation_page_reads_its_figures_once_a_minute(owner_client, monkeypatch):
    url = reverse("reputation")
    cold, _ = queries(owner_client, url)
    warm, _ = queries(owner_client, url)
    assert warm == AUTH < cold
    a_minute_later(monkeypatch)
    cache.clear()
    owner_client.get(url)
    a_minute_later(monkeypatch)
    assert queries(owner_client, url)[0] > AUTH + 10  # every figure read again
