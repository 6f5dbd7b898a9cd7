"""The staff pages' cache (shop.staff_cache): a repeat request is a hit costing only signing
in; every change a page shows shows on the next request; a page stored for one staff member
is never another's, and each session gets its own CSRF token and flash messages."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import SUPPORT
from orders import services as order_services
from shop import staff_cache
from shop.cache import VERSION_KEY as CATALOGUE_VERSION
from support import services
from support.models import TicketMessage
from support.selectors import VERSION_KEY as INBOX_VERSION

from ..factories import UserFactory, VariantFactory
from ..orders.helpers import place
from ..reviews.helpers import delivered_order, review

pytestmark = pytest.mark.django_db

AUTH = 1  # the user with their roles (accounts.backends; the session comes from the cache)
INBOX = reverse("support_manage:ticket_list")
# What a miss costs once the figures are cached (a ticket changed: the inbox version moved).
INBOX_MISS = 4  # auth, the view's figures (counts, satisfaction: its version moved), the rows
TICKET_MISS = 7  # a ticket without an order (one with: its lines too)


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a change as a request would: its receivers' version bumps after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def get(client, url, **kw):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(captured)


def state(response) -> str:
    return response[staff_cache.STATUS_HEADER]


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)) | set(
        re.findall(r'"x-csrftoken": "([^"]+)"', html)
    )


def open_ticket(email="a@example.com", **kw):
    return services.open_ticket(email=email, name="Ann", topic="size", body="Hello", **kw)


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


# ------------------------------------------------------------------------------- queries
def test_a_repeat_request_is_a_hit_costing_only_signing_in(support_client, owner, on_commit):
    with on_commit():
        ticket = open_ticket(order=place({VariantFactory(stock=5): 1}))
    owner_client = Client()
    owner_client.force_login(owner)
    for client, url in (
        (support_client, INBOX),
        (support_client, INBOX + "?view=all&q=a@example.com"),
        (support_client, ticket.get_manage_url()),
        (owner_client, reverse("shop_manage:dashboard")),
        (owner_client, reverse("reputation")),
    ):
        first, _ = get(client, url)
        assert state(first) == "miss"
        again, queries = get(client, url)
        assert (state(again), queries) == ("hit", AUTH), url
        # The same page, but for the masked token (one per answer, masked anew each time) and
        # the reply form's nonce (one per answer too).
        (old,), (new,) = csrf_tokens(first.content.decode()), csrf_tokens(again.content.decode())
        expected = first.content.replace(old.encode(), new.encode())
        if b'name="nonce"' in first.content:
            old, new = nonce(first.content.decode()), nonce(again.content.decode())
            assert old != new
            expected = expected.replace(old.encode(), new.encode())
        assert again.content == expected, url


@pytest.mark.parametrize("n", [2, 7])
def test_the_miss_paths_cost_is_fixed(support_client, support_user, on_commit, n):
    with on_commit():
        for i in range(n):
            ticket = open_ticket(email=f"c{i}@example.com")
            services.reply_to_ticket(ticket, "Answer", acting_user=support_user)
    get(support_client, INBOX)
    get(support_client, ticket.get_manage_url())
    with on_commit():
        services.set_priority(ticket, "high", acting_user=support_user)
    assert get(support_client, INBOX)[1] == INBOX_MISS
    with on_commit():
        services.set_priority(ticket, "normal", acting_user=support_user)
    assert get(support_client, ticket.get_manage_url())[1] == TICKET_MISS


# ------------------------------------------------------------------------- invalidation
def test_a_hit_reads_its_versions_and_its_page_in_one_call(support_client, monkeypatch):

    support_client.get(INBOX)
    default, reads = caches["default"], []
    get_many = default.get_many

    def counting_get_many(keys, *args, **kwargs):
        reads.append(list(keys))
        return get_many(keys, *args, **kwargs)

    monkeypatch.setattr(default, "get_many", counting_get_many)
    response, _queries = get(support_client, INBOX)
    assert state(response) == "hit"
    # One read holds the page and every version it depends on; no other read holds either.
    (keys,) = [keys for keys in reads if any(k.startswith("staff-page:") for k in keys)]
    assert keys[-1].startswith("staff-page:")
    assert {CATALOGUE_VERSION, INBOX_VERSION} <= set(keys)
    assert [INBOX_VERSION in keys for keys in reads].count(True) == 1


def test_every_change_to_a_ticket_shows_at_once(support_client, support_user, on_commit):
    with on_commit():
        ticket = open_ticket()
    url = ticket.get_manage_url()
    get(support_client, url), get(support_client, INBOX)

    with on_commit():
        services.reply_to_ticket(ticket, "Your size is M.", acting_user=support_user)
    page, _ = get(support_client, url)
    assert state(page) == "miss" and "Your size is M." in page.content.decode()

    with on_commit():
        services.assign_ticket(ticket, support_user, acting_user=support_user)
    inbox, _ = get(support_client, INBOX + "?view=mine")
    assert ticket.number in inbox.content.decode()
    assert "support@example.com" in get(support_client, url)[0].content.decode()

    with on_commit():  # a message saved on its own, without the services' save of the ticket
        TicketMessage.objects.create(ticket=ticket, author_kind="customer", body="Thanks a lot!")
    assert "Thanks a lot!" in get(support_client, url)[0].content.decode()

    with on_commit():
        services.resolve_ticket(ticket, acting_user=support_user)
    assert ticket.number not in get(support_client, INBOX)[0].content.decode()


def test_the_order_and_the_customers_reviews_show_at_once(support_client, owner, on_commit):
    with on_commit():
        order = place({VariantFactory(stock=5): 1})
        ticket = open_ticket(email=order.email, order=order)
    url = ticket.get_manage_url()
    assert "Cancel this order" in get(support_client, url)[0].content.decode()
    with on_commit():
        order_services.cancel_order(order, reason="Asked to", acting_user=owner)
    assert "Cancel this order" not in get(support_client, url)[0].content.decode()

    with on_commit():
        delivered = delivered_order()
        mine = open_ticket(email=delivered.email)
    url = mine.get_manage_url()
    before = get(support_client, url)[0].content.decode()
    with on_commit():
        review(delivered.lines.first(), title="Lovely linen")
    after, _ = get(support_client, url)
    assert "Lovely linen" not in before and "Lovely linen" in after.content.decode()


def test_relative_times_move_on_the_next_minute(support_client, on_commit, monkeypatch):
    with on_commit():
        open_ticket()
    get(support_client, INBOX)
    assert state(get(support_client, INBOX)[0]) == "hit"
    later = staff_cache.minute() + 1
    monkeypatch.setattr(staff_cache, "minute", lambda: later)
    assert state(get(support_client, INBOX)[0]) == "miss"


# ---------------------------------------------------------------------------- isolation
def test_a_page_stored_for_one_member_is_never_anothers(support_client, support_user, on_commit):
    other = UserFactory(email="other-support@example.com", roles=[SUPPORT])
    with on_commit():
        ticket = open_ticket()
        services.assign_ticket(ticket, support_user, acting_user=support_user)
    mine = get(support_client, INBOX + "?view=mine")[0].content.decode()
    assert ticket.number in mine
    assert "Take it" not in get(support_client, ticket.get_manage_url())[0].content.decode()

    theirs = Client()
    theirs.force_login(other)
    page, _ = get(theirs, INBOX + "?view=mine")
    assert state(page) == "miss" and ticket.number not in page.content.decode()
    page, _ = get(theirs, ticket.get_manage_url())
    assert state(page) == "miss" and "Take it" in page.content.decode()


def test_the_owners_links_stay_the_owners(support_client, owner, on_commit):
    with on_commit():
        ticket = open_ticket()
    owner_client = Client()
    owner_client.force_login(owner)
    products = reverse("shop_manage:product_list")
    for url in (INBOX, ticket.get_manage_url(), reverse("shop_manage:dashboard")):
        assert products in get(owner_client, url)[0].content.decode()
        for _ in range(2):  # the miss, then the hit
            assert products not in get(support_client, url)[0].content.decode()


def test_each_session_gets_its_own_token_and_messages(support_user, on_commit):
    with on_commit():
        ticket = open_ticket()
    url = ticket.get_manage_url()
    first, second = Client(), Client()
    first.force_login(support_user)
    second.force_login(support_user)
    get(first, url)
    page, _ = get(second, url)
    assert state(page) == "hit"
    for client, response in ((first, get(first, url)[0]), (second, page)):
        tokens = csrf_tokens(response.content.decode())
        assert tokens and "\x00" not in response.content.decode()
        # Each token the page holds is this session's (the masked forms of its secret).
        secret = client.cookies["csrftoken"].value
        assert {_unmask_cipher_token(t) for t in tokens} == {secret}

    with on_commit():
        assert first.post(url, {"body": "On its way.", "nonce": "n1"}).status_code == 302
    html = get(first, url)[0].content.decode()
    assert "Reply sent to a@example.com." in html and "On its way." in html
    assert "Reply sent to" not in get(second, url)[0].content.decode()  # the other session's
    assert "Reply sent to" not in get(first, url)[0].content.decode()  # shown once
    stored = list(cache._cache.values())  # the test cache (locmem): pickled values
    assert stored and not any(b"Reply sent to" in value for value in stored)


def test_a_cached_ticket_page_holds_no_buyer_link(support_client, on_commit):
    with on_commit():
        order = place({VariantFactory(stock=5): 1})
        ticket = open_ticket(email=order.email, order=order)
    for _ in range(2):
        html = get(support_client, ticket.get_manage_url())[0].content.decode()
        assert order.tracking_token not in html and ticket.token not in html


def test_the_htmx_poll_and_each_language_have_pages_of_their_own(support_client, on_commit):
    with on_commit():
        open_ticket()
    assert "<html" in get(support_client, INBOX)[0].content.decode()
    poll = {"HX-Request": "true", "HX-Target": "inbox"}
    fragment, _ = get(support_client, INBOX, headers=poll)
    assert state(fragment) == "miss" and "<html" not in fragment.content.decode()
    again, _ = get(support_client, INBOX, headers=poll)
    assert state(again) == "hit" and "data-announce" in again.content.decode()

    support_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese, _ = get(support_client, INBOX)
    assert state(chinese) == "miss" and '<html lang="zh-hans">' in chinese.content.decode()


def nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def test_two_tabs_of_a_cached_ticket_page_post_two_replies(support_client, on_commit):
    """The reply form's nonce makes a double-posted form one message: a cached page must not
    hand the same nonce to two tabs, or the second tab's different reply would be dropped."""
    with on_commit():
        ticket = open_ticket()
    url = ticket.get_manage_url()
    first, second = get(support_client, url)[0], get(support_client, url)[0]
    assert state(second) == "hit"
    tab_one, tab_two = nonce(first.content.decode()), nonce(second.content.decode())
    assert tab_one != tab_two
    with on_commit():
        for body, tab in (("Size M fits you.", tab_one), ("And the L is in stock.", tab_two)):
            posted = support_client.post(url, {"body": body, "nonce": tab})
            assert posted.status_code == 302
    bodies = set(ticket.messages.values_list("body", flat=True))
    assert {"Size M fits you.", "And the L is in stock."} <= bodies
