"""Media in an S3-compatible store (moto's server on 127.0.0.1): public photos are fetched from
the bucket's public address with a year-long immutable cache header; private files (ticket
attachments, imports) are in a second bucket nobody reads anonymously, and reach people only
through the views that check who is asking."""

import re
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.settings.base import PUBLIC_CACHE_CONTROL
from shop.models import ImportJob
from shop.storage import private_storage
from support.models import TicketAttachment

from .factories import ProductFactory, VariantFactory, image_upload
from .s3 import client
from .shop.test_import_export import make_csv, row

pytestmark = pytest.mark.django_db


def fetch(url: str):
    """GET `url` over HTTP with no credentials at all, as a browser would: the status, the
    headers (looked up without regard to case) and the body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http only
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_product_photo_is_in_the_public_bucket_and_served_from_its_address(
    s3_media, owner_client, client, on_commit
):
    product = ProductFactory()
    VariantFactory(product=product)
    with on_commit():  # the renditions' task reads the master from the bucket
        response = owner_client.post(
            reverse("shop_manage:image_upload", args=[product.pk]),
            {"images": [image_upload("shirt.jpg")]},
        )
    assert response.status_code == 302
    image = product.images.get()
    s3 = client_for_test()
    for field in ("original", "small", "large"):
        name = getattr(image, field).name
        head = s3.head_object(Bucket=s3_media["MEDIA_BUCKET"], Key=name)
        assert head["CacheControl"] == PUBLIC_CACHE_CONTROL, field
        assert head["ContentType"] == "image/webp"
    # Never on this server's disk: no /media/ address is in the page.
    page = client.get(product.get_absolute_url()).content.decode()
    assert "/media/" not in page
    public = f"{s3_media['S3_ENDPOINT_URL']}/{s3_media['MEDIA_BUCKET']}/"
    urls = set(re.findall(re.escape(public) + r"[^\"' ]+\.webp", page))
    assert image.large.url in urls and image.small.url in urls
    status, headers, body = fetch(image.large.url)
    assert status == 200
    assert headers["Cache-Control"] == PUBLIC_CACHE_CONTROL
    stored = s3.get_object(Bucket=s3_media["MEDIA_BUCKET"], Key=image.large.name)["Body"].read()
    assert body == stored and body[:4] == b"RIFF"
    # The names are random and never reused: a second upload of the same file is new objects.
    owner_client.post(
        reverse("shop_manage:image_upload", args=[product.pk]),
        {"images": [image_upload("shirt.jpg")]},
    )
    second = product.images.exclude(pk=image.pk).get()
    assert {second.original.name, second.small.name, second.large.name}.isdisjoint(
        {image.original.name, image.small.name, image.large.name}
    )


def client_for_test():
    return client()


def _ticket_with_photo(client):
    response = client.post(
        reverse("support:new"),
        {
            "email": "mei@example.com",
            "name": "Mei",
            "topic": "defect",
            "body": "The label shows my address.",
            "photos": [image_upload("label.jpg")],
        },
    )
    assert response.status_code == 302
    photo = TicketAttachment.objects.get()
    return photo.message.ticket, photo


def test_a_ticket_photo_is_in_the_private_bucket_and_reaches_staff_only(
    s3_media, client, support_user, customer
):
    ticket, photo = _ticket_with_photo(client)
    s3 = client_for_test()
    name = photo.large.name
    stored = s3.get_object(Bucket=s3_media["PRIVATE_BUCKET"], Key=name)["Body"].read()
    assert stored[:4] == b"RIFF"
    assert not default_storage.exists(name)  # not in the public bucket
    # Anonymous reads of the private bucket are refused by the store itself.
    for bucket in (s3_media["PRIVATE_BUCKET"], s3_media["MEDIA_BUCKET"]):
        status, _, body = fetch(f"{s3_media['S3_ENDPOINT_URL']}/{bucket}/{name}")
        assert status in (403, 404) and body != stored, bucket
    with pytest.raises(ValueError, match="private"):
        photo.large.url  # noqa: B018 - no address, signed or not
    staff_url = reverse("support_manage:attachment", args=[ticket.pk, photo.pk, "large"])
    client.logout()
    assert client.get(staff_url).status_code == 302  # anonymous: to sign-in
    client.force_login(customer)
    assert client.get(staff_url).status_code == 403  # a buyer
    client.force_login(support_user)
    response = client.get(staff_url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == stored


def test_an_import_file_goes_to_the_private_bucket_and_is_still_read(
    s3_media, owner_client, on_commit
):
    with on_commit():
        response = owner_client.post(
            reverse("shop_manage:product_import"),
            {"file": SimpleUploadedFile("wholesale.csv", make_csv([row()]))},
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors  # the task read it from the bucket
    assert job.created_products == 1
    s3 = client_for_test()
    body = s3.get_object(Bucket=s3_media["PRIVATE_BUCKET"], Key=job.file.name)["Body"].read()
    assert body == make_csv([row()])
    assert private_storage().exists(job.file.name) and not default_storage.exists(job.file.name)
    status, _, _ = fetch(
        f"{s3_media['S3_ENDPOINT_URL']}/{s3_media['PRIVATE_BUCKET']}/{job.file.name}"
    )
    assert status == 403


def test_one_bucket_for_both_or_no_private_bucket_is_an_error(s3_server, settings):
    from django.test import override_settings

    from config.settings.base import s3_storages
    from shop.storage import check_private_bucket_is_its_own

    environ = {"S3_ENDPOINT_URL": s3_server, "MEDIA_BUCKET": "photos"}
    for private, error in (("photos", "shop.E002"), ("", "shop.E003"), ("private", None)):
        storages = {**settings.STORAGES, **s3_storages({**environ, "PRIVATE_BUCKET": private})}
        if not private:
            storages["private"] = {"BACKEND": "shop.storage.PrivateStorage"}
        with override_settings(STORAGES=storages):
            assert [e.id for e in check_private_bucket_is_its_own()] == ([error] if error else [])
