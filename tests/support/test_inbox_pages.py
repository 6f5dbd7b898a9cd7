"""The inbox's keyset pages (issue 18): every ticket once, in order, however deep; the same
queries on a deep page as on the first, never OFFSET; a jump by date; search by a whole email.
And the ticket page's cached parts."""

import re
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from support import services
from support.models import Ticket
from support.selectors import decode_cursor, encode_cursor, inbox, inbox_page

pytestmark = pytest.mark.django_db

INBOX = "/manage/tickets/"


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def make_tickets(n: int, *, start=None, step=timedelta(minutes=7), tie_every=3) -> None:
    """n tickets updated one `step` apart, newest last; every `tie_every` share one time (the
    order must still be total: (updated_at, id))."""
    start = start or timezone.now() - timedelta(days=30)
    due = timezone.now() + timedelta(days=1)
    Ticket.objects.bulk_create(
        Ticket(
            number=f"T-{i:06d}",
            email=f"c{i}@example.com",
            name=f"Customer {i}",
            topic="size",
            subject=f"Subject {i}",
            first_response_due=due,
            resolution_due=due,
        )
        for i in range(n)
    )
    for i, pk in enumerate(Ticket.objects.order_by("id").values_list("pk", flat=True)):
        Ticket.objects.filter(pk=pk).update(updated_at=start + step * (i // tie_every))


def test_cursors_round_trip_and_refuse_junk():
    make_tickets(1)
    ticket = Ticket.objects.get()
    assert decode_cursor(encode_cursor(ticket)) == (ticket.updated_at, ticket.pk)
    for junk in ("", None, "abc", "12-", "-3", "1.5-2", "9" * 30 + "-1", "12-3-4"):
        assert decode_cursor(junk) is None


def test_older_and_newer_pages_walk_every_ticket_once_in_order(support_user):
    make_tickets(130)
    everything = list(inbox("all", user=support_user))
    assert len(everything) == 130
    pages, page = [], inbox_page(inbox("all", user=support_user), size=20)
    assert page.previous_cursor is None
    pages.append(page.object_list)
    while page.next_cursor:
        page = inbox_page(
            inbox("all", user=support_user), after=decode_cursor(page.next_cursor), size=20
        )
        pages.append(page.object_list)
    assert [t for p in pages for t in p] == everything  # none twice, none left out, in order
    assert [len(p) for p in pages] == [20] * 6 + [10]
    # Back up from the last page: the same pages again, the first one without a "newer" link.
    for expected in reversed(pages[:-1]):
        page = inbox_page(
            inbox("all", user=support_user), before=decode_cursor(page.previous_cursor), size=20
        )
        assert page.object_list == expected
    assert page.previous_cursor is None and page.next_cursor


def capture(client, url):
    cache.clear()  # each page from a cold cache (the header's figures too)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


def link(html: str, rel: str) -> str:
    return re.search(rf'href="([^"]+)" rel="{rel}"', html).group(1).replace("&amp;", "&")


def test_a_deep_page_costs_what_the_first_costs_and_never_uses_offset(client, support_user):
    make_tickets(260)
    client.force_login(support_user)
    first, first_sql = capture(client, f"{INBOX}?view=all")
    url = link(first.content.decode(), "next")
    for _ in range(4):  # page 5, following "older" as staff do
        deep, deep_sql = capture(client, INBOX + url)
        url = link(deep.content.decode(), "next")
    last, last_sql = capture(client, INBOX + url)  # page 6: 10 rows, no "older" link
    assert 'rel="next"' not in last.content.decode()
    assert "T-000000" in last.content.decode()  # the oldest ticket
    assert len(first_sql) == len(deep_sql) == len(last_sql)
    for sql in first_sql + deep_sql + last_sql:
        assert "OFFSET" not in sql.upper()
    assert not any("__count" in sql for sql in deep_sql)  # no paginator's COUNT of the view
    # "Newer" from page 5 gives page 4: the 50 tickets before its first row.
    newer, newer_sql = capture(client, INBOX + link(deep.content.decode(), "prev"))
    shown = re.findall(r"T-\d{6}", newer.content.decode())
    everything = [t.number for t in inbox("all", user=support_user)]
    assert shown[0] == everything[150] and shown[-1] == everything[199]
    assert len(newer_sql) == len(first_sql)


def test_the_poll_keeps_the_page_being_read(client, support_user):
    make_tickets(60)
    client.force_login(support_user)
    first = client.get(f"{INBOX}?view=all").content.decode()
    cursor = link(first, "next").split("after=")[1]
    second = client.get(f"{INBOX}?view=all&after={cursor}").content.decode()
    poll = re.search(r'<div id="inbox" hx-get="([^"]+)"', second).group(1)
    assert f"after={cursor}" in poll.replace("&amp;", "&")


def test_jump_to_a_date(client, support_user):
    start = timezone.make_aware(datetime(2026, 3, 1, 12))
    make_tickets(90, start=start, step=timedelta(hours=12), tie_every=1)  # two a day
    client.force_login(support_user)
    html = client.get(f"{INBOX}?view=all&until=2026-03-10").content.decode()
    shown = re.findall(r"T-\d{6}", html)
    # 2026-03-10 12:00 is ticket 18 (March 1 12:00 + 9 days); 2026-03-11 00:00 is ticket 19.
    assert shown[0] == "T-000018" and len(shown) == 19  # back to the first ticket
    assert 'rel="prev"' in html and 'rel="next"' not in html
    assert 'value="2026-03-10"' in html
    # A date that is not one is refused by the form: the first page, not an error.
    assert client.get(f"{INBOX}?view=all&until=2026-13-45").status_code == 200
    assert client.get(f"{INBOX}?view=all&after=" + "9" * 41).status_code == 200


def test_search_by_a_whole_email_matches_it_exactly(support_user):
    lin = services.open_ticket(email="lin@example.com", name="Lin", topic="size", body="Hi")
    services.open_ticket(email="olin@example.com", name="Olin", topic="size", body="Hi")

    def found(q):
        return {t.email for t in inbox("all", user=support_user, q=q)}

    assert found("Lin@Example.com") == {lin.email}  # whole address: exact, case-insensitive
    assert found("lin@example") == {"lin@example.com", "olin@example.com"}  # a part: contains


def test_inbox_search_by_email_reads_the_email_index(client, support_user):
    services.open_ticket(email="lin@example.com", name="Lin", topic="size", body="Hi")
    client.force_login(support_user)
    response, sqls = capture(
        client, reverse("support_manage:ticket_list") + "?view=all&q=lin%40example.com"
    )
    assert "lin@example.com" in response.content.decode()
    search = next(s for s in sqls if "support_ticket" in s and "message_count" in s.lower())
    assert "LIKE" not in search.upper()  # an equality the btree index serves, not a scan


def test_the_ticket_page_caches_canned_replies_until_one_changes(
    client, support_user, django_capture_on_commit_callbacks
):
    from support.models import CannedReply

    CannedReply.objects.create(title="Size", body="Hello {customer_name}")
    ticket = services.open_ticket(email="lin@example.com", name="Lin", topic="size", body="Hi")
    client.force_login(support_user)
    url = ticket.get_manage_url()
    cache.clear()
    cold = capture(client, url)[1]
    with CaptureQueriesContext(connection) as warm:
        client.get(url)
    # The ticket with its order, assignee and answer in one query; canned replies and staff
    # list from the cache on a warm page.
    assert len(warm) <= len(cold) - 2
    warm_sql = " ".join(q["sql"] for q in warm.captured_queries)
    assert "support_cannedreply" not in warm_sql and "SELECT DISTINCT" not in warm_sql
    with django_capture_on_commit_callbacks(execute=True):
        CannedReply.objects.create(title="Returns", body="Send it back, {customer_name}")
    assert "Send it back, Lin" in client.get(url).content.decode()
