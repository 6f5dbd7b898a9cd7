"""The owner's texts in two languages: columns, fallback, forms, legal details, canned replies."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from shop.models import Category, Product, ShopProfile
from support import services as support_services
from support.models import CannedReply
from support.selectors import canned_body

from ..factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def plain_name(table: str, pk: int) -> str:
    """The plain `name` column as stored (the ORM would read the current language's)."""
    sql = {"shop_product": "SELECT name FROM shop_product WHERE id = %s"}[table]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()[0]


def test_a_text_missing_in_one_language_shows_the_other():
    product = ProductFactory(name_en="Linen shirt", name_zh_hans=None, description_zh_hans="亚麻。")
    with translation.override("zh-hans"):
        assert product.name == "Linen shirt"  # no Chinese name: the English one
        assert product.description == "亚麻。"
    with translation.override("en"):
        assert product.name == "Linen shirt"
        assert product.description == "亚麻。"  # no English description: the Chinese one
    product.name_zh_hans = "亚麻衬衫"
    with translation.override("zh-hans"):
        assert product.name == "亚麻衬衫"


def test_the_plain_column_holds_the_shop_language_whatever_language_saved_it(settings):
    product = ProductFactory(name_en="Linen shirt", name_zh_hans="亚麻衬衫")
    with translation.override("zh-hans"):
        product.save()
    # The test shop's language is English, whatever the owner's page was in.
    assert plain_name("shop_product", product.pk) == "Linen shirt"
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        product.save()
    assert plain_name("shop_product", product.pk) == "亚麻衬衫"


def test_the_migration_puts_existing_texts_in_english_only():
    """What was written before the shop had two languages was English: it goes to *_en, and
    the Chinese columns stay empty so that fallback (not a false Chinese text) shows it."""
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(("shop", "0005_existing_texts_are_english"))
    old_apps = state.apps
    HistoricalCategory = old_apps.get_model("shop", "Category")
    HistoricalProfile = old_apps.get_model("shop", "ShopProfile")
    HistoricalCategory.objects.create(name="Coats", slug="coats")
    HistoricalProfile.objects.create(name="Old Works", story="Since 1990.")
    module = __import__(
        "shop.migrations.0005_existing_texts_are_english", fromlist=["copy_to_english"]
    )
    module.copy_to_english(old_apps, None)
    coats = HistoricalCategory.objects.get(slug="coats")
    assert (coats.name_en, coats.name_zh_hans) == ("Coats", None)
    profile = HistoricalProfile.objects.get(name="Old Works")
    assert (profile.story_en, profile.story_zh_hans) == ("Since 1990.", None)


def test_category_names_are_unique_per_language_and_an_empty_language_never_clashes():
    Category.objects.create(name_zh_hans="衬衫", slug="chen-shan")
    Category.objects.create(name_zh_hans="裤装", slug="ku-zhuang")  # two with no English name
    Category.objects.create(name_en="Shirts", slug="shirts")
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(name_zh_hans="衬衫", slug="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(name_en="Shirts", name_zh_hans="别的", slug="other-2")


def test_the_category_page_refuses_a_name_taken_in_that_language(owner_client):
    Category.objects.create(name_zh_hans="衬衫", name_en="Shirts", slug="shirts")
    response = owner_client.post(
        reverse("shop_manage:category_list"),
        {"name_zh_hans": "衬衫", "name_en": "Tops", "slug": "", "position": "1"},
    )
    assert response.status_code == 422
    assert Category.objects.count() == 1
    response = owner_client.post(
        reverse("shop_manage:category_list"),
        {"name_zh_hans": "", "name_en": "", "slug": "", "position": "1"},
    )
    assert response.status_code == 422
    assert "at least one language" in response.content.decode()


def test_a_category_named_in_chinese_only_gets_a_pinyin_slug(owner_client):
    response = owner_client.post(
        reverse("shop_manage:category_list"),
        {"name_zh_hans": "连衣裙", "name_en": "", "slug": "", "position": "2"},
    )
    assert response.status_code == 302
    category = Category.objects.get()
    assert (category.slug, category.name_zh_hans, category.name_en) == (
        "lian-yi-qun",
        "连衣裙",
        None,
    )


# ----------------------------------------------------------------- the product form
def product_post(category, **overrides):
    data = {
        "name_zh_hans": "亚麻衬衫",
        "name_en": "Linen shirt",
        "slug": "",
        "category": category.pk,
        "status": "active",
        "price": "189.00",
        "description_zh_hans": "透气的亚麻面料。",
        "description_en": "Breathing linen.",
        "material_zh_hans": "100% 亚麻",
        "material_en": "100% linen",
        "care_zh_hans": "冷水手洗。",
        "care_en": "Wash cold by hand.",
        "size_chart_zh_hans": "尺码 | 胸围 cm\nM | 106",
        "size_chart_en": "Size | Chest cm\nM | 106",
        "sizes": "M",
        "colours": "Navy",
        "v|M|Navy|stock": "3",
    }
    return {**data, **overrides}


def test_the_product_form_shows_both_languages_chinese_first_with_labels(owner_client):
    html = owner_client.get(reverse("shop_manage:product_create")).content.decode()
    for field in ("name", "description", "material", "care", "size_chart"):
        zh, en = html.index(f'name="{field}_zh_hans"'), html.index(f'name="{field}_en"')
        assert zh < en, field
    assert "Name · 简体中文" in html and "Name · English" in html
    assert 'lang="zh-hans"' in html and 'lang="en"' in html
    assert 'name="name"' not in html  # only the per-language fields
    assert 'class="form-grid bilingual"' in html  # two columns on a wide screen


def test_the_owner_saves_a_product_in_both_languages(owner_client):
    category = CategoryFactory()
    response = owner_client.post(reverse("shop_manage:product_create"), product_post(category))
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.name_zh_hans, product.name_en) == ("亚麻衬衫", "Linen shirt")
    assert (product.care_zh_hans, product.care_en) == ("冷水手洗。", "Wash cold by hand.")
    # The test shop is English: the slug comes from the English name.
    assert product.slug == "linen-shirt"
    page = owner_client.get(product.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "透气的亚麻面料。" in page.content.decode()


def test_a_product_needs_a_name_in_at_least_one_language(owner_client):
    category = CategoryFactory()
    response = owner_client.post(
        reverse("shop_manage:product_create"), product_post(category, name_zh_hans="", name_en="")
    )
    assert response.status_code == 422
    assert "at least one language" in response.content.decode()
    assert not Product.objects.exists()
    response = owner_client.post(
        reverse("shop_manage:product_create"), product_post(category, name_en="")
    )
    assert response.status_code == 302
    assert Product.objects.get().slug == "ya-ma-chen-shan"  # the only name is Chinese


# ----------------------------------------------------------------- shop profile and footer
def profile_post(**overrides):
    data = {
        "name_zh_hans": "景和制衣",
        "name_en": "Jinghe Garment Works",
        "currency": "CNY",
        "shipping_flat_rate": "15",
        "licence_company": "宜昌景和制衣有限公司",
        "licence_number": "91420500ma4f2k3j7x",
        "icp_number": "鄂ICP备2026000001号-1",
    }
    return {**data, **overrides}


def test_the_footer_shows_the_licence_and_the_icp_number_linked_to_miit(owner_client, client):
    response = owner_client.post(reverse("shop_manage:shop_profile"), profile_post())
    assert response.status_code == 302
    profile = ShopProfile.load()
    assert profile.licence_number == "91420500MA4F2K3J7X"  # upper-cased as printed
    html = client.get(reverse("shop:home")).content.decode()
    assert "宜昌景和制衣有限公司" in html and "91420500MA4F2K3J7X" in html
    assert (
        '<a href="https://beian.miit.gov.cn/" rel="noopener" target="_blank">鄂ICP备2026000001号-1</a>'
        in html
    )
    # Both names sign the footer: the page's language first.
    assert '<strong>Jinghe Garment Works</strong> <span lang="zh-hans">景和制衣</span>' in html


def test_no_legal_line_when_the_owner_gave_none(client, shop_profile):
    html = client.get(reverse("shop:home")).content.decode()
    assert "beian.miit.gov.cn" not in html and 'class="legal' not in html


@pytest.mark.parametrize(
    "field, value",
    [
        ("licence_number", "12345"),  # too short
        ("licence_number", "91420500MA4F2K3J7O"),  # O is not used in a credit code
        ("licence_number", "9142050" + "0" * 12),  # 19 characters
        ("icp_number", "ICP 2026"),
        ("icp_number", "鄂ICP备2026000001号\n-1"),
    ],
)
def test_a_malformed_licence_or_icp_number_is_refused(owner_client, field, value):
    response = owner_client.post(
        reverse("shop_manage:shop_profile"), profile_post(**{field: value})
    )
    assert response.status_code == 422
    assert ShopProfile.load().licence_number == ""


def test_a_15_digit_licence_number_from_before_2016_is_accepted(owner_client):
    response = owner_client.post(
        reverse("shop_manage:shop_profile"), profile_post(licence_number="420500000012345")
    )
    assert response.status_code == 302


def test_the_shop_needs_a_name_in_one_language(owner_client):
    response = owner_client.post(
        reverse("shop_manage:shop_profile"), profile_post(name_zh_hans="", name_en="")
    )
    assert response.status_code == 422


# ----------------------------------------------------------------- canned replies
def test_canned_body_takes_the_language_asked_for_or_the_other():
    reply = CannedReply.objects.create(
        title_en="Size", title_zh_hans="尺码", body_en="Hi {customer_name}", body_zh_hans="您好"
    )
    assert canned_body(reply, "zh-hans") == "您好"
    assert canned_body(reply, "en") == "Hi {customer_name}"
    english_only = CannedReply.objects.create(title_en="Parcel", body_en="On its way.")
    assert canned_body(english_only, "zh-hans") == "On its way."
    assert canned_body(reply, "fr") == "Hi {customer_name}"  # not offered: the shop's (en)


def test_a_ticket_gets_the_canned_reply_in_its_language_not_the_staffs(
    client, support_user, settings
):
    # Before tickets remember a language, a ticket's is the shop's; staff read English.
    settings.LANGUAGE_CODE = "zh-hans"
    reply = CannedReply.objects.create(
        title_en="Size",
        title_zh_hans="尺码",
        body_en="Hi {customer_name}",
        body_zh_hans="{customer_name}您好",
    )
    ticket = support_services.open_ticket(
        email="mei@example.com", name="Mei Chen", topic="other", body="尺码问题"
    )
    client.force_login(support_user)
    html = client.get(
        ticket.get_manage_url(), {"canned": reply.pk}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Mei您好" in html
    assert "Hi Mei" not in html


def test_the_canned_reply_form_edits_both_languages(client, support_user):
    client.force_login(support_user)
    response = client.post(
        reverse("support_manage:canned_list"),
        {"title_zh_hans": "换尺码", "title_en": "", "body_zh_hans": "可以换。", "body_en": ""},
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert (reply.title_zh_hans, reply.title_en, reply.body_zh_hans) == ("换尺码", None, "可以换。")
    response = client.post(
        reverse("support_manage:canned_list"),
        {"title_zh_hans": "", "title_en": "Empty", "body_zh_hans": "", "body_en": ""},
    )
    assert response.status_code == 422
    assert CannedReply.objects.count() == 1


# ----------------------------------------------------------------- the demo
def test_the_demo_is_written_in_both_languages():
    call_command("seed_demo", images=0, stdout=open("/dev/null", "w"))
    profile = ShopProfile.load()
    assert (profile.name_en, profile.name_zh_hans) == ("Jinghe Garment Works", "景和制衣")
    for field in (
        "tagline",
        "story",
        "location",
        "difference",
        "shipping_policy",
        "returns_policy",
    ):
        assert getattr(profile, f"{field}_en") and getattr(profile, f"{field}_zh_hans"), field
    products = list(Product.objects.all())
    assert len(products) >= 30
    for product in products:
        for field in ("name", "description", "material", "care", "size_chart"):
            zh, en = getattr(product, f"{field}_zh_hans"), getattr(product, f"{field}_en")
            assert zh and en and zh != en, (product.slug, field)
    assert all(c.name_zh_hans and c.name_en for c in Category.objects.all())
    replies = list(CannedReply.objects.all())
    assert len(replies) >= 3
    assert all(r.body_zh_hans and r.body_en and r.title_zh_hans for r in replies)
    call_command("seed_demo", images=0, stdout=open("/dev/null", "w"))  # twice: nothing doubled
    assert CannedReply.objects.count() == len(replies)


def test_the_cached_catalogue_grid_is_kept_per_language(client):
    product = ProductFactory(name_en="Linen shirt", name_zh_hans="亚麻衬衫", slug="linen-shirt")
    from ..factories import VariantFactory

    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M", stock=3)
    chinese = client.get(reverse("shop:product_list"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "亚麻衬衫" in chinese.content.decode()
    english = client.get(reverse("shop:product_list"), HTTP_ACCEPT_LANGUAGE="en")
    html = english.content.decode()
    assert "Linen shirt" in html and "亚麻衬衫" not in html


def test_saving_one_language_column_alone_keeps_the_plain_column_in_step():
    product = ProductFactory(name_en="Linen shirt", name_zh_hans="亚麻衬衫")
    product.name_en = "Linen work shirt"
    product.save(update_fields=["name_en"])
    assert plain_name("shop_product", product.pk) == "Linen work shirt"
    Product.objects.update_or_create(slug=product.slug, defaults={"name_en": "Hemp shirt"})
    assert plain_name("shop_product", product.pk) == "Hemp shirt"


def test_a_duplicate_copies_both_languages(owner_client):
    product = ProductFactory(
        name_en="Linen shirt",
        name_zh_hans="亚麻衬衫",
        description_en="Breathes.",
        description_zh_hans="透气。",
        size_chart_zh_hans="尺码 | 胸围\nM | 106",
    )
    response = owner_client.post(reverse("shop_manage:product_duplicate", args=[product.pk]))
    copy = Product.objects.exclude(pk=product.pk).get()
    assert response.status_code == 302
    assert copy.name_en == "Copy of Linen shirt"
    assert "亚麻衬衫" in copy.name_zh_hans  # "Copy of" in Chinese once the catalogue has it
    assert (copy.description_en, copy.description_zh_hans) == ("Breathes.", "透气。")
    assert copy.size_chart_zh_hans == "尺码 | 胸围\nM | 106"
    assert copy.slug == f"{product.slug}-copy"


def test_size_and_colour_lists_take_chinese_separators_and_name_the_list_in_errors():
    from django.core.exceptions import ValidationError

    from shop.forms import _split_list

    assert _split_list("藏青、米白，黑色, Navy", "colour") == ["藏青", "米白", "黑色", "Navy"]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        _split_list("S|M", "size")
    assert error.value.messages == ["尺码中不能含有“|”。"]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        _split_list("红|蓝", "colour")
    assert error.value.messages == ["颜色中不能含有“|”。"]
