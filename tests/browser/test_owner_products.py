import pytest
from playwright.sync_api import expect

from shop.models import Product
from tests.factories import CategoryFactory, image_bytes

pytestmark = pytest.mark.browser


def test_owner_creates_a_product_with_variants_and_a_photo(
    live_server, page, owner, sign_in, tmp_path
):
    CategoryFactory(name="Shirts", slug="shirts")
    photo = tmp_path / "overshirt.jpg"
    photo.write_bytes(image_bytes(size=(300, 400)))

    sign_in(page, owner)
    page.goto(f"{live_server.url}/manage/products/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New product")

    # The two languages side by side on a wide screen, Chinese first; stacked on a phone.
    zh, en = page.locator("#id_name_zh_hans"), page.locator("#id_name_en")
    zh_box, en_box = zh.bounding_box(), en.bounding_box()
    assert zh_box["x"] < en_box["x"] and abs(zh_box["y"] - en_box["y"]) < 2
    page.set_viewport_size({"width": 390, "height": 844})
    zh_box, en_box = zh.bounding_box(), en.bounding_box()
    assert zh_box["y"] < en_box["y"] and abs(zh_box["x"] - en_box["x"]) < 2
    page.set_viewport_size({"width": 1280, "height": 900})

    zh.fill("藏青色衬衫外套")
    en.fill("Navy Overshirt")
    page.locator("#id_category").select_option(label="Shirts")
    page.locator("#id_status").select_option("active")
    page.locator("#id_price").fill("249.00")
    page.evaluate("window.__marker = 1")

    # Each field redraws the grid through htmx on change; wait for one redraw before the next.
    page.locator("#id_sizes").fill("S, M")
    page.locator("#id_sizes").press("Tab")
    expect(page.locator("#variant-grid tbody th[scope=row]")).to_have_text(["S", "M"])
    page.locator("#id_colours").fill("Navy")
    page.locator("#id_colours").press("Tab")
    stock_s = page.get_by_label("Stock S Navy", exact=True)
    stock_m = page.get_by_label("Stock M Navy", exact=True)
    expect(stock_s).to_have_value("0")
    expect(stock_m).to_have_value("0")
    expect(page.locator("#variant-grid thead th")).to_have_text(["Size \\ Colour", "Navy"])
    assert page.evaluate("window.__marker") == 1, "the grid redraw reloaded the page"
    # The redraw keeps what was typed in the rest of the form.
    expect(page.locator("#id_name_en")).to_have_value("Navy Overshirt")
    expect(page.locator("#id_name_zh_hans")).to_have_value("藏青色衬衫外套")

    stock_s.fill("4")
    stock_m.fill("2")
    page.locator("input[name=new_images]").set_input_files(photo)
    page.get_by_role("button", name="Save product").click()

    page.wait_for_url("**/manage/products/*/")
    expect(page.locator("#messages .flash-success")).to_have_text("Saved “Navy Overshirt”.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Navy Overshirt")
    expect(page.get_by_role("heading", name="Photos")).to_be_visible()
    photos = page.locator("#image-list ul.image-list > li img")
    expect(photos).to_have_count(1)
    photos.first.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photos.first.element_handle()
    )

    product = Product.objects.get(name_en="Navy Overshirt")
    assert product.name_zh_hans == "藏青色衬衫外套"
    assert product.status == Product.Status.ACTIVE
    assert product.category.slug == "shirts"
    assert {(v.size, v.colour, v.stock) for v in product.variants.all()} == {
        ("S", "Navy", 4),
        ("M", "Navy", 2),
    }
    assert product.images.count() == 1

    page.goto(f"{live_server.url}/products/")
    card = page.locator("#product-grid .product-card", has_text="Navy Overshirt")
    expect(card).to_have_count(1)
    expect(card.locator("h3")).to_have_text("Navy Overshirt")
    expect(card.locator(".sizes")).to_have_text("S · M")

    card.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/products/{product.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Navy Overshirt")
    expect(page.get_by_role("radio", name="Navy S", exact=True)).to_be_enabled()
    expect(page.get_by_role("radio", name="Navy M", exact=True)).to_be_enabled()
    expect(page.locator(".picker .size-opt span")).to_have_text(["S", "M"])


def test_support_user_is_refused_the_product_pages(live_server, page, support_user, sign_in):
    sign_in(page, support_user)
    response = page.goto(f"{live_server.url}/manage/products/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not for this account")
    expect(page.locator("table")).to_have_count(0)
