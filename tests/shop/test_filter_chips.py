"""The catalogue's active filters as removable chips: each a plain link to the same list without
it (working without JavaScript, and in the htmx grid so that they follow every filter change),
plus "Clear all"; the filter form folds behind one "Filter" button."""

import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def chips(html: str) -> dict[str, dict]:
    """Visible chip text -> the query its link leaves."""
    found = {}
    for href, inner in re.findall(r'<a class="chip" href="([^"]*)"[^>]*>(.*?)</a>', html, re.S):
        text = re.sub(r"<span[^>]*>.*?</span>", "", inner).strip()
        url = urlsplit(unescape(href))
        assert url.path == reverse("shop:product_list")
        found[unescape(text)] = dict(parse_qsl(url.query))
    return found


@pytest.fixture
def shirts():
    category = CategoryFactory(slug="shirts", name="Shirts")
    VariantFactory(product=ProductFactory(category=category, price=Decimal("120")), size="M")
    return category


def test_each_active_filter_is_a_chip_linking_to_the_list_without_it(client, shirts):
    url = reverse("shop:product_list")
    query = "?q=linen&category=shirts&size=M&min_price=100&in_stock=on&sort=price_asc&page=1"
    html = client.get(url + query).content.decode()
    found = chips(html)
    rest = {"q": "linen", "category": "shirts", "size": "M", "min_price": "100", "in_stock": "on"}
    expected = {
        "Search: linen": "q",
        "Category: Shirts": "category",
        "Size: M": "size",
        "Min price: CN¥100.00": "min_price",
        "In stock only": "in_stock",
    }
    assert set(found) == set(expected)
    for text, removed in expected.items():
        left = {k: v for k, v in rest.items() if k != removed} | {"sort": "price_asc"}
        assert found[text] == left, text  # the others kept, the sort kept, no page
    # "Clear all" keeps only the sort; each chip says what it does to a screen reader.
    assert f'class="chip-clear" href="{url}?sort=price_asc"' in html
    assert html.count('<span class="visually-hidden">Remove filter </span>') == 5


def test_no_filter_no_chips_and_the_filters_fold_behind_one_button(client, shirts):
    html = client.get(reverse("shop:product_list") + "?sort=newest").content.decode()
    assert 'class="filter-chips"' not in html and 'class="chip"' not in html
    details = re.search(r'<details class="filter-panel" id="filter-panel"([^>]*)>', html)
    assert details and "open" not in details.group(1)  # folded: a phone sees the grid first
    assert re.search(r"<summary[^>]*>Filter</summary>\s*<form id=\"filters\"", html)
    assert html.index('id="filter-panel"') < html.index('id="product-grid"')


def test_a_bad_filter_value_opens_the_panel_to_show_its_message(client, shirts):
    html = client.get(reverse("shop:product_list") + "?min_price=abc").content.decode()
    assert re.search(r'<details class="filter-panel" id="filter-panel" open>', html)
    assert 'class="chip"' not in html


def test_the_htmx_grid_carries_the_chips_of_its_filters(client, shirts):
    url = reverse("shop:product_list")
    grid = client.get(url + "?size=M&colour=", headers={"HX-Request": "true"}).content.decode()
    assert grid.lstrip().startswith('<section id="product-grid"')
    assert chips(grid) == {"Size: M": {}}
    assert 'hx-get="/products/"' in grid and 'hx-target="#product-grid"' in grid
    other = client.get(url + "?category=shirts", headers={"HX-Request": "true"}).content.decode()
    assert chips(other) == {"Category: Shirts": {}}  # a cached grid never shows another's chips


def test_chip_text_is_escaped(client):
    html = client.get(reverse("shop:product_list") + '?q=<b>"x"</b>').content.decode()
    assert "<b>" not in html.split('id="product-grid"')[1]
    assert chips(html) == {'Search: <b>"x"</b>': {}}
