"""The staff inbox on a phone: cards, not a table cut off at the screen's edge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import ShopProfile
from support import services
from support.models import Ticket

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_the_inbox_fits_the_screen_and_shows_due_times(
    live_server, page, support_user, sign_in, width
):
    ShopProfile.load()
    for i in range(3):
        ticket = services.open_ticket(
            email=f"a-very-long-address-of-a-buyer-{i}@example-mail-provider.com",
            name="A",
            topic="size",
            body="Which size should I take for a long winter coat?",
        )
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=timezone.now() - timedelta(hours=2)
    )
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, support_user)
    page.goto(f"{live_server.url}/manage/tickets/?view=all")
    page.screenshot(path=f"test-results/inbox-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    row = page.locator("tr.ticket-row.overdue")
    assert row.get_by_text("Overdue", exact=True).is_visible()
    assert page.locator("td.ticket-due time").count() == 3
    display = row.evaluate("el => getComputedStyle(el).display")
    assert display == ("grid" if width == 360 else "table-row")
