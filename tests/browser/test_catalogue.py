import re

import pytest
from playwright.sync_api import expect

from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue(transactional_db):
    shirt = ProductFactory(name="Linen Shirt", slug="linen-shirt")
    VariantFactory(product=shirt, size="XL", colour="Navy", stock=3)
    VariantFactory(product=shirt, size="S", colour="Navy", stock=0)  # sold out
    jacket = ProductFactory(name="Denim Jacket", slug="denim-jacket")
    VariantFactory(product=jacket, size="M", colour="Indigo", stock=4)
    tee = ProductFactory(name="Oat Tee", slug="oat-tee")
    VariantFactory(product=tee, size="S", colour="Oat", stock=2)
    VariantFactory(product=tee, size="L", colour="Oat", stock=1)
    return {"shirt": shirt, "jacket": jacket, "tee": tee}


ALL_NAMES = {"Linen Shirt", "Denim Jacket", "Oat Tee"}
SIZE_XL = re.compile(r"[?&]size=XL(&|$)")


def card_names(page):
    return set(page.locator("#product-grid .product-card h3").all_inner_texts())


def test_size_filter_swaps_grid_in_place_and_back_restores_it(live_server, page, catalogue):
    products_url = f"{live_server.url}/products/"
    page.goto(products_url)
    cards = page.locator("#product-grid .product-card")
    expect(cards).to_have_count(3)
    assert card_names(page) == ALL_NAMES
    page.evaluate("window.__marker = 1")

    page.get_by_label("Size").select_option("XL")

    expect(page).to_have_url(SIZE_XL)
    expect(cards).to_have_count(1)
    expect(cards.locator("h3")).to_have_text("Linen Shirt")
    expect(page.locator("#product-grid .result-bar span").first).to_have_text("1 garment")
    assert page.evaluate("window.__marker") == 1, "the filter reloaded the whole page"

    page.go_back()

    expect(page).to_have_url(products_url)
    expect(cards).to_have_count(3)
    assert card_names(page) == ALL_NAMES
    # catalogue.js puts the form back in line with the address after a history restore.
    expect(page.get_by_label("Size")).to_have_value("")
    assert page.evaluate("window.__marker") == 1, "going back reloaded the whole page"

    page.locator(".product-card", has_text="Linen Shirt").get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/products/linen-shirt/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Linen Shirt")

    xl = page.get_by_role("radio", name="Navy XL", exact=True)
    sold_out = page.get_by_role("radio", name="Navy S – sold out", exact=True)
    expect(xl).to_be_enabled()
    expect(xl).not_to_be_checked()
    page.locator("label.size-opt", has_text="XL").click()
    expect(xl).to_be_checked()

    expect(sold_out).to_be_disabled()
    page.locator("label.size-opt", has_text=re.compile(r"^\s*S\s*$")).click(force=True)
    expect(sold_out).not_to_be_checked()
    expect(xl).to_be_checked()


def test_size_filter_works_without_javascript(live_server, browser, catalogue):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/products/")
        cards = page.locator("#product-grid .product-card")
        expect(cards).to_have_count(3)

        page.get_by_label("Size").select_option("XL")
        # Without JavaScript nothing happens until the form is submitted.
        expect(page).to_have_url(f"{live_server.url}/products/")
        expect(cards).to_have_count(3)

        with page.expect_navigation():
            page.get_by_role("button", name="Show garments").click()

        expect(page).to_have_url(SIZE_XL)
        expect(cards).to_have_count(1)
        expect(cards.locator("h3")).to_have_text("Linen Shirt")
        expect(page.get_by_label("Size")).to_have_value("XL")
    finally:
        context.close()


def test_on_a_phone_the_filters_fold_and_active_ones_are_chips(live_server, browser, catalogue):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/products/")
        form = page.locator("#filters")
        cards = page.locator("#product-grid .product-card")
        expect(form).to_be_hidden()
        # The grid comes first: the first card starts within the first screen.
        assert cards.first.bounding_box()["y"] < 740
        page.get_by_text("Filter", exact=True).click()
        expect(form).to_be_visible()
        page.get_by_label("Size").select_option("XL")
        expect(cards).to_have_count(1)
        chip = page.locator("#product-grid a.chip")
        expect(chip).to_have_count(1)
        expect(chip).to_have_accessible_name(re.compile(r"^Remove filter Size: XL"))
        page.get_by_label("In stock only").check()
        expect(chip).to_have_count(2)
        page.evaluate("window.__marker = 1")

        chip.filter(has_text="Size: XL").click()  # removed by htmx: the grid and the form follow
        expect(page).not_to_have_url(SIZE_XL)
        expect(cards).to_have_count(3)
        expect(chip).to_have_count(1)
        expect(page.get_by_label("Size")).to_have_value("")
        expect(page.get_by_label("In stock only")).to_be_checked()
        page.get_by_role("link", name="Clear all").click()
        expect(chip).to_have_count(0)
        expect(page.get_by_label("In stock only")).not_to_be_checked()
        assert page.evaluate("window.__marker") == 1, "a chip reloaded the whole page"
    finally:
        context.close()


def test_a_chip_is_a_plain_link_without_javascript(live_server, browser, catalogue):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/products/?size=XL&colour=Navy")
        expect(page.locator("#filters")).to_be_hidden()
        with page.expect_navigation():
            page.locator("a.chip", has_text="Size: XL").click()
        expect(page).to_have_url(re.compile(r"/products/\?colour=Navy$"))
        expect(page.locator("a.chip")).to_have_text(re.compile(r"Colour: Navy"))
    finally:
        context.close()


def test_on_a_wide_screen_the_filters_stand_open(live_server, page, catalogue):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/products/")
    expect(page.locator("#filters")).to_be_visible()
    expect(page.locator("#filter-panel > summary")).to_be_hidden()
    expect(page.locator("#filter-panel")).to_have_attribute("open", "")
