"""A product with no photo (a CSV import, a new listing) shows a calm placeholder of the photos'
shape with its name's first letter, on the catalogue, the home page and its own page."""

import re

import pytest
from django.urls import reverse

from .test_catalogue import product_with

pytestmark = pytest.mark.django_db


def card(html: str, slug: str) -> str:
    [found] = re.findall(
        rf'<li class="product-card">\s*<a href="/products/{slug}/">.*?</li>', html, re.S
    )
    return found


def test_cards_without_a_photo_show_the_placeholder_and_cards_with_one_the_photo(client):
    product_with(slug="bare", name="linen smock", images=0, featured=True)
    product_with(slug="shown", name="Denim jacket", images=1, featured=True)
    for url in (reverse("shop:product_list"), reverse("shop:home")):
        html = client.get(url).content.decode()
        bare, shown = card(html, "bare"), card(html, "shown")
        assert '<div class="photo-placeholder" aria-hidden="true">' in bare and "<img" not in bare
        assert re.search(r'<span class="initial"[^>]*>L</span>', bare)
        assert "<img" in shown and "photo-placeholder" not in shown


def test_the_product_page_without_a_photo_says_so_calmly(client):
    product = product_with(slug="bare", name="亚麻衬衫", images=0)
    html = client.get(product.get_absolute_url()).content.decode()
    gallery = html[html.index('class="gallery"') : html.index("</section>")]
    assert 'class="main no-photo"' in gallery
    assert 'role="img" aria-label="No photo yet"' in gallery
    assert re.search(r'<span class="initial"[^>]*>亚</span>', gallery)
    with_photo = product_with(slug="shown", images=1)
    html = client.get(with_photo.get_absolute_url()).content.decode()
    assert "photo-placeholder" not in html
