import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shop.csv_io import COLUMNS
from shop.models import ImportJob, Product, Variant

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def make_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
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
