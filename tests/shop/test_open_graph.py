"""Product pages carry Open Graph tags, so a link pasted in WeChat or another app shows a card."""

from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shop.images import clean_image
from shop.services import add_images

from ..factories import ProductFactory, VariantFactory, image_bytes

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script>&amp; <b>bold</b>'


class HeadMeta(HTMLParser):
    """The <meta> tags of the page's <head>, as a browser or WeChat's crawler reads them."""

    def __init__(self):
        super().__init__()
        self.tags: list[dict] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        elif self.in_head and tag == "meta":
            self.tags.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def head_of(client, product) -> HeadMeta:
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    parser = HeadMeta()
    parser.feed(response.content.decode())
    return parser


def og(head: HeadMeta) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in head.tags:
        key = tag.get("property") or tag.get("name")
        if key:
            found.setdefault(key, []).append(tag.get("content"))
    return found


def photographed(**kwargs):
    product = ProductFactory(**kwargs)
    VariantFactory(product=product, stock=3)
    image = clean_image(SimpleUploadedFile("p.jpg", image_bytes(size=(300, 400)), "image/jpeg"))
    add_images(product, [image])
    return product


def test_a_product_page_carries_a_card_with_hostile_text_escaped(client, shop_profile):
    description = HOSTILE + "\n\n  Second   line. " + "Linen " * 40
    product = photographed(name=HOSTILE, description=description, price=Decimal("199.00"))
    head = head_of(client, product)
    tags = og(head)
    # Each tag once, with the text as written (the parser unescapes what the page escaped).
    for key in ("og:title", "og:description", "og:url", "og:type", "og:site_name", "og:image"):
        assert len(tags.get(key, [])) == 1, key
    assert tags["og:title"] == [HOSTILE]  # the name as written, escaped by the page
    summary = tags["og:description"][0]
    assert len(summary) <= 100 and "\n" not in summary and "  " not in summary
    assert "<b>" not in summary and "<script>" not in summary
    assert summary.startswith('">alert(1)&amp; bold Second line. Linen')
    assert summary.endswith("…")
    assert tags["og:type"] == ["product"]
    assert tags["og:site_name"] == [shop_profile.name]
    assert tags["og:url"] == [f"http://testserver{product.get_absolute_url()}"]
    assert tags["product:price:amount"] == ["199.00"]
    assert tags["product:price:currency"] == [shop_profile.currency]
    assert tags["og:locale"] == ["en_US"]
    (meta,) = tags["description"]
    assert meta.startswith('">alert(1)&amp; bold Second line.') and len(meta) <= 150
    # The raw page never carries the hostile markup unescaped.
    html = client.get(product.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert 'property="og:title" content="&quot;&gt;&lt;script&gt;alert(1)' in html


def test_the_image_is_an_absolute_url_that_answers(client, shop_profile):
    product = photographed()
    url = og(head_of(client, product))["og:image"][0]
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "testserver")
    assert url.endswith("-1200.webp")  # the large rendition, not the master
    image = client.get(parts.path)
    assert image.status_code == 200
    assert b"".join(image.streaming_content if image.streaming else [image.content])[:4] == b"RIFF"


def test_no_image_tag_without_a_photo(client, shop_profile):
    product = ProductFactory(description="")
    VariantFactory(product=product, stock=3)
    tags = og(head_of(client, product))
    assert "og:image" not in tags and "og:image:type" not in tags
    assert tags["og:title"] == [product.name]
    assert len(tags["og:description"]) == 1  # the shop's tagline stands in


def test_the_card_is_in_the_readers_language(client, shop_profile):
    product = photographed()
    response = client.get(product.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    parser = HeadMeta()
    parser.feed(response.content.decode())
    assert og(parser)["og:locale"] == ["zh_CN"]


def test_a_cached_page_keeps_each_hosts_own_addresses(client, shop_profile, settings):
    """The page cache used to serve the first visitor's host in og:url to every other host."""
    settings.CATALOGUE_CACHE_SECONDS = 60
    product = photographed()
    for _ in range(2):  # the second round is answered from the cache
        for host in ("localhost", "127.0.0.1"):
            response = client.get(product.get_absolute_url(), HTTP_HOST=host)
            head = HeadMeta()
            head.feed(response.content.decode())
            tags = og(head)
            assert tags["og:url"] == [f"http://{host}{product.get_absolute_url()}"]
            assert tags["og:image"][0].startswith(f"http://{host}/")
