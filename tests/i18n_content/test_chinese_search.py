"""Search finds Chinese names in either interface language, on SQLite and PostgreSQL.

The same tests run on both databases (the suite runs once per database); the one marked
postgres also checks the case-folding PostgreSQL does with UPPER() on mixed CJK/Latin text.
"""

import pytest
from django.urls import reverse

from shop.models import Product

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def garments():
    bilingual = ProductFactory(name_en="Linen shirt", name_zh_hans="亚麻衬衫", slug="linen-shirt")
    chinese_only = ProductFactory(name_en=None, name_zh_hans="牛津纺衬衫", slug="niu-jin-fang")
    english_only = ProductFactory(name_en="Wool coat", name_zh_hans=None, slug="wool-coat")
    trousers = ProductFactory(name_en="Wide trousers", name_zh_hans="阔腿裤", slug="kuo-tui-ku")
    for product in (bilingual, chinese_only, english_only, trousers):
        VariantFactory(
            product=product, size="M", colour="Navy", sku=f"{product.slug}-M".upper(), stock=3
        )
    assert chinese_only.rating_count == 0  # no reviews
    return {"bilingual": bilingual, "chinese_only": chinese_only, "english": english_only}


def found(client, q, language) -> set[str]:
    html = client.get(
        reverse("shop:product_list"), {"q": q}, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    return {
        slug
        for slug in ("linen-shirt", "niu-jin-fang", "wool-coat", "kuo-tui-ku")
        if f"/products/{slug}/" in html
    }


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_q_chinese_finds_chinese_names_in_either_interface_language(client, garments, language):
    assert found(client, "衬衫", language) == {"linen-shirt", "niu-jin-fang"}
    assert found(client, "亚麻衬衫", language) == {"linen-shirt"}
    assert found(client, "裤", language) == {"kuo-tui-ku"}  # one character


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_an_english_word_still_finds_in_either_interface_language(client, garments, language):
    assert found(client, "coat", language) == {"wool-coat"}
    assert found(client, "SHIRT", language) == {"linen-shirt"}


def test_the_description_and_material_are_searched_in_both_languages(client, garments):
    Product.objects.filter(slug="wool-coat").update(material_zh_hans="羊毛混纺面料")
    assert found(client, "羊毛", "en") == {"wool-coat"}


def test_the_owners_product_and_stock_lists_find_chinese(owner_client, garments):
    html = owner_client.get(reverse("shop_manage:product_list"), {"q": "衬衫"}).content.decode()
    assert "亚麻衬衫" in html or "Linen shirt" in html
    assert "牛津纺衬衫" in html and "Wool coat" not in html
    html = owner_client.get(
        reverse("shop_manage:stock_list"), {"q": "牛津纺", "show": "all"}
    ).content.decode()
    assert "NIU-JIN-FANG-M" in html and "WOOL-COAT-M" not in html


@pytest.mark.postgres
def test_postgresql_matches_cjk_inside_mixed_text_case_insensitively(client, db):
    """UPPER() on PostgreSQL leaves CJK as it is and folds the Latin around it."""
    tee = ProductFactory(name_en=None, name_zh_hans="纯棉T恤", slug="chun-mian-t-xu")
    VariantFactory(product=tee, size="M", colour="Navy", sku="CMT-M", stock=3)
    for q in ("t恤", "T恤", "纯棉", "棉t"):
        html = client.get(reverse("shop:product_list"), {"q": q}).content.decode()
        assert "/products/chun-mian-t-xu/" in html, q
