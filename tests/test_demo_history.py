"""A fresh demo opens with a believable history (followups.demo_seed, on shop.signals.demo_seeded):
orders placed, shipped and delivered through the real services, verified reviews with fit,
photos, replies and one hidden, tickets answered and resolved, in Chinese and English, dated
over the last weeks; told once, with its emails recorded as sent, never sent again."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from followups import dispatch
from followups.models import FollowUp
from messaging.models import Message
from orders.models import Order
from reviews.models import ModerationLog, Review, ReviewPhoto, ReviewReply
from reviews.reputation import branding_checklist
from reviews.reputation import figures as reputation
from shop.models import Product
from support.models import CannedReply, SatisfactionAnswer, Ticket

pytestmark = pytest.mark.django_db

SHOWCASE = [
    "linen-work-shirt",
    "wide-leg-linen-trousers",
    "smock-dress",
    "chore-jacket",
    "fisherman-jumper",
]


@pytest.fixture
def demo():
    call_command("seed_demo", images=0, stdout=io.StringIO())


def owner_client(client):
    client.force_login(get_user_model().objects.get(email="owner@demo.shop"))
    return client


def json_ld(html: str) -> dict:
    [data] = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(data)


def test_a_fresh_demo_has_its_canned_replies_in_both_languages(demo):
    replies = list(CannedReply.objects.all())
    assert len(replies) >= 3
    for reply in replies:
        assert re.search("[\u4e00-\u9fff]", reply.title_zh_hans)
        assert re.search("[\u4e00-\u9fff]", reply.body_zh_hans)
        assert re.search("[A-Za-z]{4}", reply.title_en) and "您" not in reply.body_en


def test_product_pages_show_verified_reviews_a_fit_summary_and_ratings(client, demo):
    for slug in SHOWCASE:
        product = Product.objects.get(slug=slug)
        published = product.reviews.filter(status=Review.Status.PUBLISHED)
        # Enough answers for a fit summary however high its minimum is set (issue 14: five).
        assert published.count() >= 6, slug
        html = client.get(product.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Verified purchase" in html and 'id="fit-summary"' in html, slug
        assert json_ld(html)["aggregateRating"]["reviewCount"] == published.count()
    html = client.get(
        "/products/linen-work-shirt/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "尺码表" in html and "王**" in html  # a Chinese buyer's name, as reviews show it


def test_the_history_is_in_both_languages_with_photos_replies_and_one_hidden(demo):
    orders = Order.objects.filter(checkout_key__startswith="demo-history-")
    languages = dict.fromkeys(orders.values_list("language", flat=True))
    assert set(languages) == {"zh-hans", "en"}
    assert orders.filter(language="zh-hans").count() > 2 * orders.filter(language="en").count()
    assert orders.filter(status=Order.Status.DELIVERED).count() >= 25
    assert orders.filter(status=Order.Status.SHIPPED).exists()
    assert orders.filter(status__in=[Order.Status.PLACED, Order.Status.PAID]).exists()
    assert ReviewPhoto.objects.count() >= 3
    assert Review.objects.exclude(height_cm=None).count() >= 10
    assert ReviewReply.objects.count() >= 3
    [hidden] = Review.objects.filter(status=Review.Status.HIDDEN)
    assert hidden.hidden_reason and ModerationLog.objects.filter(review=hidden).exists()
    assert Ticket.objects.filter(status=Ticket.Status.RESOLVED).count() >= 4
    assert Ticket.objects.filter(source=Ticket.Source.CARE_CHECK).exists()
    assert Ticket.objects.filter(status=Ticket.Status.OPEN).exists()  # today's work
    assert SatisfactionAnswer.objects.filter(solved=True).count() >= 3
    assert FollowUp.objects.filter(kind="care_check").exclude(answer="").count() >= 15


def test_the_history_is_dated_over_the_last_weeks_in_order(demo):
    now = timezone.now()
    orders = Order.objects.filter(checkout_key__startswith="demo-history-")
    oldest = min(orders.values_list("placed_at", flat=True))
    assert now - oldest > timedelta(days=40)
    for order in orders.filter(status=Order.Status.DELIVERED):
        assert order.placed_at < order.shipped_at < order.delivered_at < now
        for review in Review.objects.filter(order_line__order=order):
            assert order.delivered_at < review.created_at < now
    for ticket in Ticket.objects.filter(resolved_at__isnull=False):
        assert ticket.created_at < ticket.first_response_at < ticket.resolved_at < now
    assert Review.objects.filter(created_at__gt=now - timedelta(days=1)).count() < 3


def test_the_owners_pages_show_real_figures(client, demo):
    owner = owner_client(client)
    html = owner.get("/manage/reputation/").content.decode()
    figures = html[html.index('id="reputation-figures"') :]
    assert re.search(r"4\.\d", figures)  # the mean rating
    # Every line of the branding checklist has a value (none is "no data yet").
    values = {row["key"]: row["value"] for row in branding_checklist(reputation())}
    assert all(value is not None for value in values.values()), values
    assert 0 < values["repeat_buyers"] < 100 and 0 < values["satisfaction"] < 100
    funnel = owner.get("/manage/follow-ups/").content.decode()
    counts = re.findall(r"<td><strong>(\d+)</strong></td>", funnel)
    assert counts and all(int(n) > 0 for n in counts[:5]), counts
    assert owner.get("/manage/").status_code == 200
    # The story's pages open: every order, ticket and review of it, for the owner.
    for order in Order.objects.all():
        assert owner.get(f"/manage/orders/{order.pk}/").status_code == 200
    for ticket in Ticket.objects.all():
        assert owner.get(f"/manage/tickets/{ticket.pk}/").status_code == 200
    for path in ("/manage/orders/", "/manage/tickets/", "/manage/reviews/"):
        assert owner.get(path).status_code == 200


def test_seeding_twice_adds_nothing_and_sends_nothing(demo):
    tables = (Order, Review, Ticket, FollowUp, Message, ReviewReply, CannedReply)
    before = {model: model.objects.count() for model in tables}
    call_command("seed_demo", images=0, stdout=io.StringIO())
    assert {model: model.objects.count() for model in tables} == before


def test_no_storm_the_historys_emails_are_sent_already_and_no_old_follow_up_goes_out(demo):
    assert Message.objects.count() > 50
    assert not Message.objects.exclude(state=Message.State.SENT).exists()
    # The worker's first minutes: nothing of the story is due (answered care checks, review
    # requests of reviewed orders, reminders and satisfaction questions are done with).
    soon = timezone.now() + timedelta(minutes=10)
    assert not FollowUp.objects.filter(state=FollowUp.State.PLANNED, due_at__lte=soon).exists()
    result = dispatch.dispatch(now=soon)
    assert result.sent == 0 and mail.outbox == []
