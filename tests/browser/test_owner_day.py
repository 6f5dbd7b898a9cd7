"""The owner's home and categories at 360 px and 1280 px: today's work first, nothing wider
than the screen, the menu lighting one section; screenshots in test-results/."""

import pytest

from shop.models import Category, ShopProfile
from support import services
from tests.factories import ProductFactory, VariantFactory
from tests.orders.helpers import place

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_the_owners_day_fits_the_screen(live_server, page, owner, sign_in, width):
    ShopProfile.load()
    place({VariantFactory(stock=5): 1})
    VariantFactory(product=ProductFactory(), stock=0)
    services.open_ticket(email="a@example.com", name="A", topic="size", body="Which size?")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, owner)

    page.goto(f"{live_server.url}/manage/")
    page.screenshot(path=f"test-results/owner-home-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    first = page.locator("main h2").first
    assert first.inner_text() == "Today's work"
    assert page.locator("#today-to-ship strong").inner_text() == "1"
    assert page.locator("nav[aria-label=Manage] [aria-current=page]").all_inner_texts() == [
        "Dashboard"
    ]
    page.locator("#today-open-tickets a").click()
    page.wait_for_url("**/manage/tickets/?view=open")
    assert page.locator("nav[aria-label=Manage] [aria-current=page]").all_inner_texts() == [
        "Tickets"
    ]

    page.goto(f"{live_server.url}/manage/categories/")
    page.screenshot(path=f"test-results/categories-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    names = list(Category.objects.order_by("position", "name").values_list("name", flat=True))
    page.get_by_role("button", name=f"Move “{names[1]}” up").click()
    page.wait_for_url("**/manage/categories/")
    assert Category.objects.order_by("position").first().name == names[1]
