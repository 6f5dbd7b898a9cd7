"""The moderation log: who hid which review, when and why; the owner's page only."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews import services
from reviews.models import ModerationLog, Review
from shop.i18n import format_day

from ..factories import UserFactory
from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db
URL = reverse("reviews_manage:moderation_log")


def hidden_review(owner, *, reason="spam", note="Link to another shop", title="Buy here"):
    r = review(delivered_order().lines.first(), title=title)
    return services.hide_review(r, reason=reason, acting_user=owner, note=note)


def test_anonymous_support_and_customers_are_refused(client, support_user, customer):
    response = client.get(URL)
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    for user in (support_user, customer):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_hiding_records_who_when_and_why_in_the_same_transaction(owner):
    r = review(delivered_order().lines.first())
    with pytest.raises(services.ReviewError):
        services.hide_review(r, reason="low_rating", acting_user=owner)
    assert not ModerationLog.objects.exists()  # a refused hide leaves no entry
    services.hide_review(r, reason="abuse", acting_user=owner, note="Insults")
    services.unhide_review(r, acting_user=owner)
    shown, hidden = ModerationLog.objects.order_by("-id")
    assert (hidden.action, hidden.reason, hidden.note, hidden.actor) == (
        "hide",
        "abuse",
        "Insults",
        owner,
    )
    assert (shown.action, shown.reason, shown.actor) == ("unhide", "", owner)
    assert hidden.created_at <= shown.created_at


def test_the_log_lists_who_when_and_why(owner_client, owner):
    other = UserFactory(email="partner@example.com", first_name="Li", last_name="Na")
    spam = hidden_review(owner, title="Cheap copies")
    data = hidden_review(other, reason="personal_data", note="Phone number", title="Call me")
    services.unhide_review(data, acting_user=owner)
    html = owner_client.get(URL).content.decode()
    name = owner.get_full_name() or owner.email
    rows = re.findall(r'<tr id="moderation-(\d+)">(.*?)</tr>', html, re.S)
    assert len(rows) == 3
    newest, middle, oldest = (re.sub(r"\s+", " ", body) for _pk, body in rows)
    assert name in newest and "Shown again" in newest and "Call me" in newest
    assert "Li Na" in middle and "Contains personal data" in middle and "Phone number" in middle
    assert name in oldest and "Spam or advertising" in oldest
    assert "Link to another shop" in oldest and "hidden now" in oldest
    entry = ModerationLog.objects.get(review=spam)
    when = format_day(entry.created_at, "datetime")
    assert when and f'<td data-label="When">{when}</td>' in oldest
    assert "hidden now" not in middle  # shown again since


def test_one_reviews_entries_and_the_link_from_its_row(owner_client, owner):
    spam = hidden_review(owner, title="Cheap copies")
    hidden_review(owner, title="Other one")
    listing = owner_client.get(reverse("reviews_manage:review_list")).content.decode()
    assert f'{URL}?review={spam.pk}"' in listing and 'id="moderation-log-link"' in listing
    html = owner_client.get(URL, {"review": spam.pk}).content.decode()
    assert "Cheap copies" in html and "Other one" not in html
    assert owner_client.get(URL, {"review": "x" * 50}).status_code == 200  # bad input ignored
    assert owner_client.get(URL, {"page": "-1"}).status_code == 200


def test_the_log_costs_the_same_queries_for_one_entry_or_twenty(owner_client, owner):
    hidden_review(owner)
    owner_client.get(URL)  # the session and the shop profile are loaded once
    with CaptureQueriesContext(connection) as one:
        owner_client.get(URL)
    for n in range(19):
        hidden_review(owner, title=f"Spam {n}")
    with CaptureQueriesContext(connection) as twenty:
        html = owner_client.get(URL).content.decode()
    assert html.count('<tr id="moderation-') == 20
    assert len(twenty) == len(one)


def test_the_log_in_chinese(owner_client, owner):
    hidden_review(owner, reason="off_topic")
    with translation.override("zh-hans"):
        html = owner_client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # The reasons are the catalogue's: no English reason reaches a Chinese page.
    assert "Not about the product" not in html
    assert Review.objects.get().status == "hidden"
