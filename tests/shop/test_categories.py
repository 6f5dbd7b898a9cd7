"""The owner's categories under /manage/categories/: create and rename in both languages,
reorder with up and down, hide (out of the catalogue's filters and links, garments still on
sale); the owner's alone."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from shop.models import Category

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def form(**values) -> dict:
    data = {"name_zh_hans": "", "name_en": "", "slug": "", "position": "0"}
    data.update(values)
    return data


def shown_order(owner_client) -> list[str]:
    html = owner_client.get(reverse("shop_manage:category_list")).content.decode()
    return re.findall(r'<td lang="en"><a [^>]*>([^<]+)</a>', html)


def test_the_owner_creates_and_renames_a_category_in_both_languages(owner_client):
    url = reverse("shop_manage:category_list")
    response = owner_client.post(url, form(name_zh_hans="衬衫", name_en="Shirts"))
    assert response.status_code == 302
    category = Category.objects.get()
    assert (category.name_zh_hans, category.name_en, category.slug) == ("衬衫", "Shirts", "shirts")
    assert category.hidden is False
    edit = reverse("shop_manage:category_edit", args=[category.pk])
    response = owner_client.post(edit, form(name_zh_hans="上衣", name_en="Tops", slug="shirts"))
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.name_zh_hans, category.name_en) == ("上衣", "Tops")


def test_up_and_down_reorder_the_categories(owner_client):
    # An import leaves every position at 0: the first move makes the order real.
    for name in ("Coats", "Dresses", "Shirts"):
        CategoryFactory(name=name, name_en=name, slug=name.lower(), position=0)
    assert shown_order(owner_client) == ["Coats", "Dresses", "Shirts"]
    shirts = Category.objects.get(slug="shirts")
    move = reverse("shop_manage:category_move", args=[shirts.pk])
    assert owner_client.post(move, {"direction": "up"}).status_code == 302
    assert shown_order(owner_client) == ["Coats", "Shirts", "Dresses"]
    owner_client.post(move, {"direction": "up"})
    owner_client.post(move, {"direction": "up"})  # already first: stays first
    assert shown_order(owner_client) == ["Shirts", "Coats", "Dresses"]
    assert list(Category.objects.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
    ]
    coats = Category.objects.get(slug="coats")
    owner_client.post(reverse("shop_manage:category_move", args=[coats.pk]), {"direction": "down"})
    assert shown_order(owner_client) == ["Shirts", "Dresses", "Coats"]


def test_a_bad_move_changes_nothing_and_does_not_fail(owner_client):
    category = CategoryFactory(position=5)
    move = reverse("shop_manage:category_move", args=[category.pk])
    assert owner_client.post(move, {"direction": "sideways"}).status_code == 302
    assert owner_client.post(move, {}).status_code == 302
    assert owner_client.get(move).status_code == 405
    assert owner_client.post(reverse("shop_manage:category_move", args=[999999])).status_code == 404
    category.refresh_from_db()
    assert category.position == 5


def test_the_list_shows_the_up_and_down_buttons_as_forms(owner_client):
    first, last = CategoryFactory(name_en="A", position=1), CategoryFactory(name_en="B", position=2)
    html = owner_client.get(reverse("shop_manage:category_list")).content.decode()
    first_row = html[
        html.index(f'id="category-{first.pk}"') : html.index(f'id="category-{last.pk}"')
    ]
    assert 'value="down"' in first_row and 'value="up"' not in first_row
    assert 'aria-label="Move “A” down"' in first_row


def test_a_hidden_category_leaves_the_catalogue_but_its_garments_stay(owner_client, client):
    shirts = CategoryFactory(name="Shirts", name_en="Shirts", slug="shirts")
    coats = CategoryFactory(name="Coats", name_en="Coats", slug="coats")
    shirt = ProductFactory(category=shirts, slug="linen-shirt")
    VariantFactory(product=shirt, stock=3)
    VariantFactory(product=ProductFactory(category=coats), stock=3)
    edit = reverse("shop_manage:category_edit", args=[shirts.pk])
    response = owner_client.post(
        edit, form(name_en="Shirts", slug="shirts", position="1", hidden="on")
    )
    assert response.status_code == 302
    shirts.refresh_from_db()
    assert shirts.hidden is True
    listing = owner_client.get(reverse("shop_manage:category_list")).content.decode()
    assert '<span class="badge draft">Hidden</span>' in listing

    cache.clear()  # the catalogue's cache is bumped after commit, which a test never reaches
    catalogue = client.get(reverse("shop:product_list")).content.decode()
    options = re.findall(
        r'<option value="([^"]*)"', catalogue[catalogue.index('id="id_category"') :]
    )
    assert "coats" in options and "shirts" not in options
    assert "linen-shirt" in catalogue  # its garments stay in the list
    page = client.get(reverse("shop:product_detail", args=["linen-shirt"]))
    assert page.status_code == 200
    assert "?category=shirts" not in page.content.decode()
    coat_page = client.get(reverse("shop:product_detail", args=[coats.products.get().slug]))
    assert "?category=coats" in coat_page.content.decode()


def test_showing_it_again_brings_it_back(owner_client, client):
    shirts = CategoryFactory(name="Shirts", name_en="Shirts", slug="shirts", hidden=True)
    VariantFactory(product=ProductFactory(category=shirts), stock=3)
    edit = reverse("shop_manage:category_edit", args=[shirts.pk])
    owner_client.post(edit, form(name_en="Shirts", slug="shirts", position="1"))
    shirts.refresh_from_db()
    assert shirts.hidden is False
    cache.clear()
    assert 'value="shirts"' in client.get(reverse("shop:product_list")).content.decode()


@pytest.mark.parametrize("who", ["support_user", "customer"])
def test_only_the_owner_manages_categories(client, request, who):
    category = CategoryFactory(position=1)
    client.force_login(request.getfixturevalue(who))
    urls = [
        reverse("shop_manage:category_list"),
        reverse("shop_manage:category_edit", args=[category.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, form(name_en="Taken over")).status_code == 403
    move = reverse("shop_manage:category_move", args=[category.pk])
    assert client.post(move, {"direction": "down"}).status_code == 403
    category.refresh_from_db()
    assert (category.name_en, category.position) != ("Taken over", 0)
    assert Category.objects.count() == 1


def test_a_visitor_is_sent_to_sign_in(client):
    category = CategoryFactory()
    for url in (
        reverse("shop_manage:category_list"),
        reverse("shop_manage:category_move", args=[category.pk]),
    ):
        response = client.post(url, {"direction": "up"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")
