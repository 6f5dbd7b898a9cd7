"""CSV import and export with a column per language; old single-language files still import."""

import csv
import io

import pytest
from django.urls import reverse

from shop.csv_io import COLUMNS, parse_import
from shop.models import Category, ImportJob, Product

from ..factories import CategoryFactory, ProductFactory, VariantFactory
from ..shop.test_import_export import upload  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def make_csv(rows: list[dict], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue().encode()


def row(**overrides) -> dict:
    base = {
        "slug": "linen-shirt",
        "name_zh_hans": "亚麻衬衫",
        "name_en": "Linen shirt",
        "category_zh_hans": "衬衫",
        "category_en": "Shirts",
        "price": "189.00",
        "description_zh_hans": "透气。",
        "description_en": "Breathes.",
        "size": "M",
        "colour": "Navy",
        "sku": "LS-M",
        "stock": "4",
    }
    return {**base, **overrides}


def test_the_export_has_both_languages_side_by_side(owner_client):
    category = CategoryFactory(name_en="Shirts", name_zh_hans="衬衫", slug="shirts")
    product = ProductFactory(
        slug="linen-shirt", name_en="Linen shirt", name_zh_hans="亚麻衬衫", category=category
    )
    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M")
    text = owner_client.get(reverse("shop_manage:product_export")).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0].split(",")
    assert header.index("name_zh_hans") + 1 == header.index("name_en")
    assert (rows[0]["name_zh_hans"], rows[0]["name_en"]) == ("亚麻衬衫", "Linen shirt")
    assert (rows[0]["category_zh_hans"], rows[0]["category_en"]) == ("衬衫", "Shirts")


def test_an_export_imports_back_unchanged(owner_client, upload):  # noqa: F811
    category = CategoryFactory(name_en="Shirts", name_zh_hans="衬衫", slug="shirts")
    product = ProductFactory(
        slug="linen-shirt",
        name_en="Linen shirt",
        name_zh_hans="亚麻衬衫",
        category=category,
        care_zh_hans="冷水洗。",
        size_chart_en="Size | Chest\nM | 106",
    )
    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M", stock=3)
    exported = owner_client.get(reverse("shop_manage:product_export")).content
    Product.objects.update(name_zh_hans="changed", care_zh_hans="changed", size_chart_en="")
    upload(owner_client, exported)
    assert ImportJob.objects.get().status == ImportJob.Status.DONE, ImportJob.objects.get().errors
    product.refresh_from_db()
    assert (product.name_zh_hans, product.care_zh_hans) == ("亚麻衬衫", "冷水洗。")
    assert product.size_chart_en == "Size | Chest\nM | 106"
    assert Category.objects.count() == 1


def test_a_new_product_named_in_chinese_only_and_its_category_are_created(owner_client, upload):  # noqa: F811
    data = make_csv([row(name_en="", category_en="", description_en="")])
    upload(owner_client, data)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    product = Product.objects.get()
    assert (product.name_zh_hans, product.name_en) == ("亚麻衬衫", "")
    category = product.category
    assert (category.name_zh_hans, category.name_en, category.slug) == ("衬衫", None, "chen-shan")


def test_a_category_is_found_by_its_name_in_either_language(owner_client, upload):  # noqa: F811
    shirts = CategoryFactory(name_en="Shirts", name_zh_hans="衬衫", slug="shirts")
    upload(owner_client, make_csv([row(category_en="", category_zh_hans="衬衫")]))
    upload(owner_client, make_csv([row(category_zh_hans="", category_en="shirts")]))
    assert [job.status for job in ImportJob.objects.all()] == ["done", "done"]
    assert Category.objects.get() == shirts


def test_an_old_file_with_one_name_column_is_read_as_the_shops_language(owner_client, upload):  # noqa: F811
    product = ProductFactory(slug="linen-shirt", name_en="Linen shirt", name_zh_hans="亚麻衬衫")
    VariantFactory(product=product, size="M", colour="Navy", sku="LS-M")
    old = ["slug", "name", "category", "price", "size", "colour", "sku", "stock"]
    data = make_csv(
        [
            {
                "slug": "linen-shirt",
                "name": "Linen work shirt",
                "category": "Shirts",
                "price": "1",
                "size": "M",
                "colour": "Navy",
                "sku": "LS-M",
                "stock": "2",
            }
        ],
        columns=old,
    )
    upload(owner_client, data)
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    product.refresh_from_db()
    # The test shop is English: `name` is the English name; the Chinese one is left alone.
    assert (product.name_en, product.name_zh_hans) == ("Linen work shirt", "亚麻衬衫")


def test_each_bad_row_says_what_is_wrong_in_its_language_column():
    text = make_csv(
        [
            row(),
            row(slug="no-name", sku="NN-M", name_zh_hans="", name_en=""),
            row(slug="no-cat", sku="NC-M", category_zh_hans="", category_en=""),
            row(slug="long", sku="LO-M", name_zh_hans="长" * 161),
        ]
    ).decode()
    errors = parse_import(text).errors
    assert [e["line"] for e in errors] == [3, 4, 5]
    assert "name is empty in both languages" in errors[0]["reason"]
    assert "category is empty in both languages" in errors[1]["reason"]
    assert "name_zh_hans is longer than 160 characters" in errors[2]["reason"]


def test_a_plain_name_and_its_language_column_that_differ_are_refused():
    columns = [*COLUMNS, "name"]
    text = make_csv([{**row(), "name": "Something else"}], columns=columns).decode()
    errors = parse_import(text).errors
    assert "name and name_en differ" in errors[0]["reason"]


def test_the_row_reasons_are_written_in_the_uploaders_language(owner_client, upload, monkeypatch):  # noqa: F811
    from django.utils.translation import get_language

    from shop import tasks

    seen = []
    real = tasks.parse_import

    def spy(*args, **kwargs):
        seen.append(get_language())
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "parse_import", spy)
    owner_client.cookies["django_language"] = "zh-hans"
    upload(owner_client, make_csv([row(price="abc")]))
    assert seen == ["zh-hans"]
    owner_client.cookies["django_language"] = "en"
    upload(owner_client, make_csv([row(price="abc")]))
    assert seen == ["zh-hans", "en"]
    assert ImportJob.objects.filter(status=ImportJob.Status.FAILED).count() == 2


def test_a_file_missing_every_name_column_is_refused_at_line_1():
    text = "slug,category,price,size,colour,sku,stock\nx,Shirts,1,M,Navy,X-M,1\n"
    errors = parse_import(text).errors
    assert errors == [{"line": 1, "reason": "Missing columns: name."}]
