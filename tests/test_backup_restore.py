"""backup_shop then restore_shop elsewhere: a shop with orders, reviews with photos, ticket
attachments and product photos comes back whole in another database (a new SQLite file, from
whichever database the suite runs on) and other storage folders, and works: its product page
shows the photo (same bytes), the review with its photo is there, the order's tracking link
opens."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from reviews import services as review_services
from shop import services as shop_services
from shop.images import clean_image
from support.models import TicketAttachment

from .conftest import make_delivered_order
from .factories import ProductFactory, VariantFactory, image_upload

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import hashlib, json
from django.test import Client
from orders.models import Order
from reviews.models import Review, ReviewPhoto
from shop.models import Product, ProductImage
from support.models import TicketAttachment
expected = json.loads(EXPECTED)
client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
product = Product.objects.get(slug=expected["slug"])
image = product.images.get()
page = client.get(product.get_absolute_url())
order = Order.objects.get(number=expected["order"])
tracking = client.get(f"/orders/{order.tracking_token}/")
review = Review.objects.get(title="Restored flat")
photo = review.photos.first()
attachment = TicketAttachment.objects.get()
print(json.dumps({
    "counts": {name: model.objects.count() for name, model in [
        ("products", Product), ("images", ProductImage), ("orders", Order),
        ("reviews", Review), ("review_photos", ReviewPhoto), ("attachments", TicketAttachment)]},
    "page": page.status_code,
    "photo_in_page": image.large_url in page.content.decode(),
    "review_photo_in_page": photo.small.url in page.content.decode(),
    "review_in_page": "Restored flat" in page.content.decode(),
    "photo_sha": hashlib.sha256(image.large.open("rb").read()).hexdigest(),
    "photo_served": client.get(image.large_url).status_code,
    "attachment_sha": hashlib.sha256(attachment.large.open("rb").read()).hexdigest(),
    "tracking": tracking.status_code,
    "tracking_shows_order": order.number in tracking.content.decode(),
}))
"""


def sha(field_file) -> str:
    with field_file.storage.open(field_file.name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture
def shop(client, settings, tmp_path):
    """The shop to back up, in storages of its own (the suite's folders hold every test's)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "source-media"), "base_url": "/media/"},
        },
        "private": {
            "BACKEND": "shop.storage.PrivateStorage",
            "OPTIONS": {"location": str(tmp_path / "source-private")},
        },
    }
    product = ProductFactory(slug="backed-up-shirt")
    VariantFactory(product=product, size="M", stock=5)
    (image,) = shop_services.add_images(product, [clean_image(image_upload("shirt.jpg"))])
    order = make_delivered_order(VariantFactory(product=product, size="L", stock=5))
    review = review_services.publish_review(
        order.lines.first(),
        review_services.ReviewInput(
            rating=5, fit="true", title="Restored flat", body="Fits.", display_name="Mei C."
        ),
        photos=[clean_image(image_upload("worn.jpg"))],
    )
    response = client.post(
        reverse("support:new"),
        {
            "email": "mei@example.com",
            "name": "Mei",
            "topic": "defect",
            "body": "A loose seam.",
            "photos": [image_upload("seam.jpg")],
        },
    )
    assert response.status_code == 302
    return {"product": product, "image": image, "order": order, "review": review}


def run(environ, *args, stdin=None):
    return subprocess.run(  # noqa: S603 - manage.py with our arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_backup_restores_into_another_database_and_storages(shop, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    call_command("backup_shop", str(archive))
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
        names = set(opened.getnames())
    image, attachment = shop["image"], TicketAttachment.objects.get()
    assert manifest["counts"]["orders.order"] == 1 and manifest["counts"]["reviews.review"] == 1
    assert manifest["files"]["default"][image.large.name]["sha256"] == sha(image.large)
    assert manifest["files"]["private"][attachment.large.name]["sha256"] == sha(attachment.large)
    assert f"files/private/{attachment.large.name}" in names
    assert "shop.0007_category_hidden" in manifest["migrations"]
    assert manifest["app_version"]
    # 3 product files, 3 review files, 3 attachment files: every stored file, nothing else.
    assert sum(len(files) for files in manifest["files"].values()) == 9

    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.demo",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "SHOP_LANGUAGE": "en",
    }
    restored = run(environ, "restore_shop", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert (tmp_path / "media" / image.large.name).read_bytes() == image.large.open("rb").read()
    assert (tmp_path / "private" / attachment.large.name).exists()
    assert not (tmp_path / "media" / attachment.large.name).exists()  # still private

    expected = json.dumps({"slug": "backed-up-shirt", "order": shop["order"].number})
    checked = run(environ, "shell", stdin=f"EXPECTED = {expected!r}\n{CHECK}")
    assert checked.returncode == 0, checked.stderr
    found = json.loads(checked.stdout.strip().splitlines()[-1])
    assert found["counts"] == {
        "products": 1,
        "images": 1,
        "orders": 1,
        "reviews": 1,
        "review_photos": 1,
        "attachments": 1,
    }
    assert found["page"] == 200 and found["photo_in_page"] and found["photo_served"] == 200
    assert found["review_in_page"] and found["review_photo_in_page"]
    assert found["photo_sha"] == sha(image.large)
    assert found["attachment_sha"] == sha(attachment.large)
    assert found["tracking"] == 200 and found["tracking_shows_order"]

    # A second restore over the restored shop is refused, and says why.
    again = run(environ, "restore_shop", str(archive))
    assert again.returncode != 0 and "Not empty" in again.stderr and "--force" in again.stderr


def test_a_damaged_archive_is_refused_before_anything_is_loaded(shop, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    call_command("backup_shop", str(archive))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "database.json":
                data = data.replace(b"Restored flat", b"Tampered fl")
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.demo",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    result = run(environ, "restore_shop", str(damaged))
    assert result.returncode != 0 and "checksum" in result.stderr
    media = tmp_path / "media"
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_a_backup_goes_to_a_bucket_and_comes_back_from_it(shop, s3_server, tmp_path, monkeypatch):
    from .s3 import client, create_buckets

    bucket = create_buckets("backups")["PRIVATE_BUCKET"]
    environ = {"S3_ENDPOINT_URL": s3_server, "S3_REGION": "us-east-1"}
    environ.update(S3_ACCESS_KEY_ID="test-access-key", S3_SECRET_ACCESS_KEY="test-secret-key")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    call_command("backup_shop", f"s3://{bucket}/nightly/shop.tar.gz")
    body = client().get_object(Bucket=bucket, Key="nightly/shop.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["counts"]["orders.order"] == 1
    restored = run(
        {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))
            },
            "DJANGO_SETTINGS_MODULE": "config.settings.demo",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
            "VAR_DIR": str(tmp_path / "var"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        },
        "restore_shop",
        f"s3://{bucket}/nightly/shop.tar.gz",
    )
    assert restored.returncode == 0, restored.stderr
    assert (tmp_path / "media" / shop["image"].large.name).exists()
