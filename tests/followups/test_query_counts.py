"""What each of the follow-up engine's pages costs in queries, pinned at two sizes of what it
shows (a cold cache each time; the owner's page includes reading the session and the user)."""

from itertools import count

import pytest
from django.urls import reverse

from followups import links
from followups.models import FollowUp

from .helpers import delivered_to, dispatch_and_send, make_due

pytestmark = pytest.mark.django_db

SERIAL = count()


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def failed_follow_ups(n: int, settings) -> None:
    """n more delivered orders whose care check failed, and n whose care check went."""
    settings.EMAIL_BACKEND = "tests.followups.failing_backend.FailingBackend"
    settings.MESSAGING_MAX_ATTEMPTS = 1
    orders = [delivered_to(f"f{next(SERIAL)}@example.com") for _ in range(2 * n)]
    make_due(FollowUp.objects.filter(order__in=orders[:n], kind="care_check"))
    dispatch_and_send()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_due(FollowUp.objects.filter(order__in=orders[n:], kind="care_check"))
    dispatch_and_send()


def test_the_owners_follow_ups_page(owner_client, settings, pin_queries):
    def page(n):
        failed_follow_ups(n, settings)
        return reverse("followups:dashboard")

    response = pin_queries(
        owner_client, 11, page
    )  # with the mail server's and the SMS provider's latest attempts
    assert response.content.decode().count("Retry</button>") == 2 + 7


def test_the_care_check_page(client, pin_queries):
    def page(n):
        for _ in range(n):
            order = delivered_to(f"c{next(SERIAL)}@example.com")
        row = order.follow_ups.get(kind="care_check")
        return reverse("followups:care_check", args=[links.answer_token(row)])

    pin_queries(client, 2, page)  # the row with its order; the shop's profile


def test_the_unsubscribe_page(client, pin_queries):
    def page(n):
        return reverse("followups:unsubscribe", args=[links.unsubscribe_token(f"u{n}@example.com")])

    pin_queries(client, 2, page)  # the address's suppression; the shop's profile
