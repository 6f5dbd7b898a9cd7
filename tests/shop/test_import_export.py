import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.transaction import atomic as transaction_atomic
from django.urls import reverse
from django.utils.text import slugify

from shop import tasks
from shop.csv_io import parse_import
from shop.models import ImportJob, Product, Variant

from ..factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


# The columns from before the shop had two languages: plain `name`, `category`, ... are the
# shop's own language (English in the test suite). These tests run on that format, so that
# such files keep importing; tests/shop/test_bilingual_csv.py covers the per-language columns.
OLD_COLUMNS = [
    "slug",
    "name",
    "category",
    "status",
    "price",
    "description",
    "material",
    "care",
    "size",
    "colour",
    "sku",
    "variant_price",
    "stock",
]


def make_csv(rows: list[dict], columns=OLD_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue().encode()


def row(**overrides) -> dict:
    base = {
        "slug": "linen-shirt",
        "name": "Linen shirt",
        "category": "Shirts",
        "status": "active",
        "price": "189.00",
        "size": "M",
        "colour": "Navy",
        "sku": "LS-M-NAVY",
        "stock": "4",
    }
    return {**base, **overrides}


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Post a CSV and run what the view queued on commit (the Celery task, eager here)."""

    def post(client, data: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            return _post(client, data)

    return post


def _post(client, data: bytes):
    return client.post(
        reverse("shop_manage:product_import"),
        {"file": SimpleUploadedFile("products.csv", data, "text/csv")},
    )


def test_a_good_file_applies_every_row(owner_client, upload):
    data = make_csv(
        [
            row(),
            row(size="L", sku="LS-L-NAVY", stock="2", variant_price="199.00"),
            row(
                slug="wide-trousers",
                name="Wide trousers",
                category="Trousers",
                price="259",
                sku="WT-S",
                size="S",
            ),
        ]
    )
    response = upload(owner_client, data)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shop_manage:import_status", args=[job.pk])
    assert job.status == ImportJob.Status.DONE
    assert (job.created_products, job.updated_products, job.total_rows) == (2, 0, 3)
    shirt = Product.objects.get(slug="linen-shirt")
    assert shirt.category.name == "Shirts"
    assert {(v.size, v.stock, v.price) for v in shirt.variants.all()} == {
        ("M", 4, None),
        ("L", 2, shirt.variants.get(size="L").price),
    }
    assert str(shirt.variants.get(size="L").price) == "199.00"
    page = owner_client.get(response["Location"]).content.decode()
    assert "2 new products" in page


def test_a_file_with_one_bad_row_applies_nothing_and_names_the_row(owner_client, upload):
    existing = VariantFactory(sku="TAKEN-1", product=ProductFactory(slug="other"))
    data = make_csv(
        [
            row(),
            row(size="L", sku="LS-L-NAVY", stock="-3"),  # line 3
            row(size="XL", sku="LS-XL-NAVY", price="abc"),  # line 4
            row(size="S", sku="TAKEN-1"),  # line 5: SKU of another product
            row(size="M", sku="LS-M-2"),  # line 6: M / Navy twice
        ]
    )
    upload(owner_client, data)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    lines = {e["line"]: e["reason"] for e in job.errors}
    assert set(lines) == {3, 4, 5, 6}
    assert "stock cannot be negative" in lines[3]
    assert "price" in lines[4] and "abc" in lines[4]
    assert "belongs to product" in lines[5]
    assert "also on line 2" in lines[6]
    assert not Product.objects.filter(slug="linen-shirt").exists()
    assert Variant.objects.count() == 1 and Variant.objects.get() == existing
    page = owner_client.get(reverse("shop_manage:import_status", args=[job.pk])).content.decode()
    assert "Nothing was imported" in page and "stock cannot be negative" in page


def test_missing_columns_are_reported(owner_client, upload):
    upload(owner_client, b"slug,name\nx,y\n")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert "Missing columns" in job.errors[0]["reason"]


def test_a_binary_file_is_refused_at_the_form(owner_client, upload):
    response = upload(owner_client, b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    assert response.status_code == 422
    assert ImportJob.objects.count() == 0


def test_import_updates_existing_products_by_slug(owner_client, upload):
    upload(owner_client, make_csv([row()]))
    upload(owner_client, make_csv([row(stock="9", name="Linen shirt v2")]))
    shirt = Product.objects.get(slug="linen-shirt")
    assert shirt.name == "Linen shirt v2"
    assert shirt.variants.get().stock == 9
    assert ImportJob.objects.order_by("pk").last().updated_products == 1


def test_export_round_trips_through_import(owner_client, upload):
    product = ProductFactory(slug="smock", name="=Smock dress")
    VariantFactory(product=product, size="S", colour="Sage", sku="SM-S", stock=3)
    exported = owner_client.get(reverse("shop_manage:product_export"))
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    assert "'=Smock dress" in text  # formula-looking cells are neutralised
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["sku"] == "SM-S" and rows[0]["stock"] == "3"


def test_import_status_polls_while_running(owner_client, owner):
    job = ImportJob.objects.create(
        file=SimpleUploadedFile("x.csv", b"a"),
        created_by=owner,
        status="validating",
        total_rows=10,
        processed_rows=4,
    )
    page = owner_client.get(
        reverse("shop_manage:import_status", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'aria-valuenow="40"' in page
    assert "<html" not in page  # the fragment only


# ----------------------------------------------------------------- round trip, lines, failures
def test_the_formula_guard_comes_off_again_so_a_round_trip_keeps_every_value(owner_client, upload):
    names = {"eq": "=Smock dress", "plus": "+Plus tee", "minus": "-Minus vest", "at": "@At home"}
    for slug, name in names.items():
        product = ProductFactory(slug=slug, name=name, description="- soft\n- warm")
        VariantFactory(product=product, sku=f"{slug}-M".upper(), stock=3)
    ProductFactory(slug="quoted", name="'Quoted' shirt")
    VariantFactory(product=Product.objects.get(slug="quoted"), sku="Q-M", stock=1)
    exported = owner_client.get(reverse("shop_manage:product_export")).content
    assert b"'=Smock dress" in exported and b"'-Minus vest" in exported  # still guarded
    Product.objects.update(name="changed", description="changed")
    upload(owner_client, exported)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    for slug, name in {**names, "quoted": "'Quoted' shirt"}.items():
        product = Product.objects.get(slug=slug)
        assert product.name == name  # only the export's own ' came off
    assert Product.objects.get(slug="eq").description == "- soft\n- warm"


def test_error_lines_count_the_lines_of_the_file_not_records(owner_client, upload):
    data = make_csv(
        [
            row(description="First line\nsecond line\nthird line"),  # lines 2-4
            row(size="L", sku="LS-L", stock="many"),  # line 5
            row(size="XL", sku="LS-XL", description='He said "fits"\nwell'),  # lines 6-7
            row(size="S", sku="LS-S", price="cheap"),  # line 8
        ]
    )
    assert data.count(b"\n") == 8  # the header, four records and three line breaks inside cells
    upload(owner_client, data)
    job = ImportJob.objects.get()
    assert [e["line"] for e in job.errors] == [5, 8]


def test_blank_lines_count_as_lines(owner_client, upload):
    data = (
        make_csv([row()])
        + b"\n\n"
        + make_csv([row(size="L", sku="LS-L", stock="-1")])[len(",".join(OLD_COLUMNS)) + 2 :]
    )
    upload(owner_client, data)
    assert [e["line"] for e in ImportJob.objects.get().errors] == [5]


def test_a_task_that_raises_fails_the_job_with_a_reason_and_applies_nothing(
    owner_client, upload, monkeypatch
):
    from shop import csv_io

    real_apply = csv_io.apply_import.__wrapped__

    def apply_then_break(products):
        real_apply(products)  # the products are written, then something unforeseen happens
        raise RuntimeError("the disk went away")

    monkeypatch.setattr("shop.tasks.apply_import", transaction_atomic(apply_then_break))
    upload(owner_client, make_csv([row(), row(slug="other", sku="O-M")]))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
    assert job.errors == [{"line": 0, "reason": tasks.UNEXPECTED}]
    assert not Product.objects.exists() and not Variant.objects.exists()  # all or none
    page = owner_client.get(reverse("shop_manage:import_status", args=[job.pk])).content.decode()
    assert "unexpected error, so nothing was imported" in page
    assert "row needs fixing" not in page and 'hx-trigger="every 1s"' not in page


def test_a_time_limit_fails_the_job_with_its_own_reason(owner_client, upload, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("shop.tasks.parse_import", too_slow)
    upload(owner_client, make_csv([row()]))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [{"line": 0, "reason": tasks.TOO_SLOW}]


def test_a_cell_over_the_csv_limit_is_a_reason_not_a_crash(owner_client, upload):
    data = make_csv([row(), row(size="L", sku="LS-L", description="x" * 200_000)])
    upload(owner_client, data)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors[0]["line"] == 3 and "not readable CSV" in job.errors[0]["reason"]


def test_a_new_category_slug_fits_its_column_when_the_name_is_taken(owner_client, upload):
    name = "Shirts " + "x" * 73  # 80 characters, the column's length
    # The slug the name makes, whole (80 characters): taken, so a shorter one with -2.
    CategoryFactory(name="Other", slug=slugify(name)[:80])
    upload(owner_client, make_csv([row(category=name)]))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    slug = Product.objects.get().category.slug
    assert len(slug) <= 80 and slug.endswith("-2")


# ----------------------------------------------------------------- every cell held to its column
LONG = 100_000
HOSTILE_CELLS = [
    # (column, value, what the reason says)
    *[
        (column, "x" * (limit + 1), f"{column} is longer than {limit} characters")
        for column, limit in [
            ("name", 160),
            ("category", 80),
            ("material", 200),
            ("size", 20),
            ("colour", 40),
            ("sku", 64),
            ("description", 20_000),
            ("care", 20_000),
        ]
    ],
    ("slug", "x" * 181, "slug is longer than 180 characters"),
    ("name", "x" * LONG, "name is longer than 160 characters"),
    *[
        (column, "ab\x00cd", f"{column} holds a NUL character")
        for column in ("slug", "name", "category", "description", "material", "care")
        + ("size", "colour", "sku")
    ],
    *[
        (column, "Bob\r\nBcc: x", f"{column} must be one line")
        for column in ("name", "category", "material", "size", "colour", "sku")
    ],
    ("stock", "99999999999999999999", "is not a whole number"),
    ("stock", str(2**31), "is not a whole number"),
    ("stock", "3000000000", "is not a whole number"),
    ("stock", "-1", "stock cannot be negative"),
    ("stock", "1e9", "is not a whole number"),
    ("stock", "NaN", "is not a whole number"),
    ("stock", "1_000", "is not a whole number"),
    ("stock", "²", "is not a whole number"),
    ("stock", "9" * LONG, "is not a whole number"),
    *[
        (column, value, f"{column} “")
        for column in ("price", "variant_price")
        for value in ("100000000", "1.001", "-1", "NaN", "Infinity", "1e9", "sNaN", "1e999999")
    ],
    ("status", "x" * LONG, "status must be one of"),
]


@pytest.mark.parametrize(
    "column,value,reason",
    HOSTILE_CELLS,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(HOSTILE_CELLS)],
)
def test_a_cell_its_column_cannot_hold_fails_the_job_at_its_line(
    owner_client, upload, column, value, reason
):
    data = make_csv([row(), row(**{"size": "L", "sku": "LS-L", column: value})])
    if "\x00" in value:
        # The form refuses a NUL in the file's first 4 KB; the parse checks every cell anyway.
        assert upload(owner_client, data).status_code == 422
        assert not ImportJob.objects.exists()
        errors = parse_import(data.decode()).errors
    else:
        upload(owner_client, data)
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.FAILED, job.errors
        errors = job.errors
    assert errors[0]["line"] == 3, errors
    assert reason in errors[0]["reason"], errors
    assert len(errors[0]["reason"]) < 600  # the value is quoted short, whatever its size
    assert not Product.objects.exists() and not Variant.objects.exists()


def test_the_cell_table_sends_dozens_of_hostile_values():
    assert len(HOSTILE_CELLS) >= 50


def test_a_description_may_hold_line_breaks(owner_client, upload):
    upload(owner_client, make_csv([row(description="Line one\r\nLine two", care="Cold\nwash")]))
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    assert Product.objects.get().description == "Line one\r\nLine two"
