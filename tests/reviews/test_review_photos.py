"""Review photos show whole, each a keyboard-reachable link to its full-size rendition."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reviews import services
from shop.images import clean_image

from ..factories import image_bytes
from .helpers import delivered_order

pytestmark = pytest.mark.django_db
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def photo(size):
    return clean_image(SimpleUploadedFile("p.jpg", image_bytes(size=size), "image/jpeg"))


def test_each_photo_links_to_its_full_size_rendition_with_a_name(client):
    line = delivered_order().lines.first()
    review = services.publish_review(
        line,
        services.ReviewInput(5, "true", "Wide shot", "b", "Mei C."),
        photos=[photo((900, 400)), photo((400, 900))],
    )
    html = client.get(review.product.get_absolute_url()).content.decode()
    links = re.findall(
        r'<a href="([^"]+)" class="review-photo-link"><img src="([^"]+)" alt="([^"]+)"', html
    )
    stored = list(review.photos.all())
    assert [href for href, _src, _alt in links] == [p.large.url for p in stored]
    assert [src for _href, src, _alt in links] == [p.small.url for p in stored]
    assert [alt for *_, alt in links] == [
        "Photo 1 of 2 from the buyer: open full size",
        "Photo 2 of 2 from the buyer: open full size",
    ]
    assert all(href != src for href, src, _alt in links)  # the link enlarges


def test_photos_are_shown_whole_not_cropped():
    css = CSS.read_text()
    block = css[css.index("/* ---- h14b:") :]
    assert re.search(r"\.review-photos img \{[^}]*object-fit: contain", block)
    assert ".review-photo-link:focus-visible" in block
