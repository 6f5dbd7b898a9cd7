"""Private files are never served: CSV imports, photos of reviews hidden for personal data,
deleted product photos.

MEDIA_ROOT is public (the tests serve it, as the demo does, with SERVE_MEDIA), so each test
asks for the files' addresses through the client and also looks in MEDIA_ROOT itself.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import reverse

from reviews import services as review_services
from reviews.models import HideReason, Review, ReviewPhoto
from shop import services as shop_services
from shop.images import clean_image
from shop.models import ImportJob, ProductImage
from shop.storage import check_private_root_outside_media, private_storage

from .factories import ProductFactory, VariantFactory, image_upload
from .reviews.helpers import delivered_order
from .shop.test_import_export import make_csv, row

pytestmark = pytest.mark.django_db

FIELDS = ("original", "small", "large")


def public_files() -> set[str]:
    """Every file under MEDIA_ROOT, as names relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return {
        Path(folder, name).relative_to(root).as_posix()
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


def names_of(row) -> list[str]:
    return [getattr(row, field).name for field in FIELDS]


def status(client, path: str) -> int:
    return client.get(path).status_code


# ---------------------------------------------------------------- CSV imports
def test_an_imported_csv_is_stored_privately_under_a_random_name(owner_client, client, on_commit):
    with on_commit():
        response = owner_client.post(
            reverse("shop_manage:product_import"),
            {"file": SimpleUploadedFile("wholesale-prices-2026.csv", make_csv([row()]))},
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE  # the task still reads it
    name = job.file.name
    assert name.startswith("imports/") and "wholesale" not in name and name.endswith(".csv")
    assert private_storage().exists(name)
    assert not default_storage.exists(name)
    assert not any(path.startswith("imports/") for path in public_files())
    for path in ("/media/imports/wholesale-prices-2026.csv", f"/media/{name}"):
        assert status(client, path) == 404, path
        assert status(owner_client, path) == 404, path  # not for the owner either
    for path in (
        f"/media/../private/{name}",
        f"/media/%2e%2e/private/{name}",
        f"/media/..%2fprivate/{name}",
        f"/media/imports/..%2f..%2f{Path(settings.PRIVATE_MEDIA_ROOT).name}/{name}",
    ):
        assert status(client, path) in (400, 404), path  # a way out of MEDIA_ROOT is refused
    with pytest.raises(ValueError, match="private"):
        job.file.url  # noqa: B018 - a private file has no address at all


def test_the_private_folder_is_outside_the_public_one():
    private = Path(private_storage().location).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    assert media not in private.parents and private != media
    assert check_private_root_outside_media() == []


def test_a_private_folder_inside_media_root_is_an_error():
    parent = Path(private_storage().location).parent
    with override_settings(MEDIA_ROOT=parent):
        errors = check_private_root_outside_media()
    assert [error.id for error in errors] == ["shop.E001"]


# ---------------------------------------------------------------- review photos
@pytest.fixture
def photographed_review():
    order = delivered_order()
    line = order.lines.first()
    data = review_services.ReviewInput(
        rating=4, fit="true", title="My flat", body="Shown at home.", display_name="Mei C."
    )
    photos = [clean_image(image_upload(f"p{i}.jpg")) for i in range(2)]
    return review_services.publish_review(line, data, photos=photos)


def photo_paths(review) -> list[str]:
    return [f"/media/{name}" for photo in review.photos.all() for name in names_of(photo)]


def test_photos_of_a_review_hidden_for_personal_data_are_no_longer_served(
    client, owner, photographed_review, on_commit
):
    review = photographed_review
    before = photo_paths(review)
    assert len(before) == 6  # two photos, each a master and two renditions
    assert all(status(client, path) == 200 for path in before)
    page = review.product.get_absolute_url()
    assert "My flat" in client.get(page).content.decode()
    with on_commit():
        review_services.hide_review(review, reason=HideReason.PERSONAL_DATA, acting_user=owner)
    assert [status(client, path) for path in before] == [404] * 6
    stems = {Path(path).stem.split("-")[0] for path in before}
    assert not [name for name in public_files() if Path(name).stem.split("-")[0] in stems]
    for photo in ReviewPhoto.objects.filter(review=review):
        assert all(private_storage().exists(name) for name in names_of(photo))
    assert "My flat" not in client.get(page).content.decode()


def test_unhiding_brings_the_photos_back(client, owner, photographed_review, on_commit):
    review = photographed_review
    with on_commit():
        review_services.hide_review(review, reason=HideReason.PERSONAL_DATA, acting_user=owner)
    with on_commit():
        review_services.unhide_review(review, acting_user=owner)
    after = photo_paths(Review.objects.get(pk=review.pk))
    assert len(after) == 6 and all(status(client, path) == 200 for path in after)
    for photo in ReviewPhoto.objects.filter(review=review):
        assert not any(private_storage().exists(name) for name in names_of(photo))
    page = client.get(review.product.get_absolute_url()).content.decode()
    assert all(path in page for path in after if "-" in Path(path).name)  # the renditions


def test_hiding_through_the_moderation_page_withdraws_the_photos(
    client, owner_client, photographed_review, on_commit
):
    before = photo_paths(photographed_review)
    with on_commit():
        response = owner_client.post(
            reverse("reviews_manage:hide", args=[photographed_review.pk]),
            {"reason": "personal_data", "note": "address label visible"},
        )
    assert response.status_code in (200, 302)
    assert [status(client, path) for path in before] == [404] * 6


def test_a_photo_added_to_a_review_hidden_for_personal_data_stays_private(
    client, owner, photographed_review, on_commit
):
    review = photographed_review
    with on_commit():
        review_services.hide_review(review, reason=HideReason.PERSONAL_DATA, acting_user=owner)
        review_services.edit_review(
            review,
            review_services.ReviewInput(
                rating=4, fit="true", title="My flat", body="Blurred.", display_name="Mei C."
            ),
            photos=[clean_image(image_upload("p3.jpg"))],
        )
    paths = photo_paths(Review.objects.get(pk=review.pk))
    assert len(paths) == 9 and [status(client, path) for path in paths] == [404] * 9


def test_a_review_hidden_for_spam_keeps_its_files_where_they_are(
    owner, photographed_review, on_commit
):
    """Only personal data withdraws photos (the page shows none of a hidden review anyway)."""
    with on_commit():
        review_services.hide_review(photographed_review, reason=HideReason.SPAM, acting_user=owner)
    for photo in ReviewPhoto.objects.filter(review=photographed_review):
        assert all(default_storage.exists(name) for name in names_of(photo))


def test_a_failed_hide_leaves_the_photos_where_the_rows_say(owner, photographed_review, on_commit):
    before = {name for photo in photographed_review.photos.all() for name in names_of(photo)}
    with on_commit():
        with pytest.raises(RuntimeError), transaction.atomic():
            review_services.hide_review(
                photographed_review, reason=HideReason.PERSONAL_DATA, acting_user=owner
            )
            raise RuntimeError("the transaction fails after the files were copied")
    assert Review.objects.get(pk=photographed_review.pk).is_published
    assert all(default_storage.exists(name) for name in before)


# ---------------------------------------------------------------- product photos
def upload_photos(owner_client, product, n: int) -> list[ProductImage]:
    """Upload `n` photos as the owner; the renditions task runs after the commit, as live."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner_client.post(
            reverse("shop_manage:image_upload", args=[product.pk]),
            {"images": [image_upload(f"{i}.jpg") for i in range(n)]},
        )
    return list(product.images.all())


def test_a_deleted_product_photo_is_gone_with_every_rendition(owner_client, client, on_commit):
    product = ProductFactory()
    VariantFactory(product=product)
    kept, deleted = upload_photos(owner_client, product, 2)
    paths = [f"/media/{name}" for name in names_of(deleted)]
    assert all(status(client, path) == 200 for path in paths)
    with on_commit():
        response = owner_client.post(
            reverse("shop_manage:image_action", args=[product.pk, deleted.pk]),
            {"action": "delete"},
        )
    assert response.status_code == 302
    assert [status(client, path) for path in paths] == [404, 404, 404]
    assert not set(names_of(deleted)) & public_files()
    assert set(names_of(kept)) <= public_files()
    assert all(
        path not in client.get(product.get_absolute_url()).content.decode() for path in paths
    )


def test_a_duplicate_has_its_own_files_so_deleting_from_one_keeps_the_other(
    owner_client, client, on_commit
):
    product = ProductFactory()
    (image,) = upload_photos(owner_client, product, 1)
    copy = shop_services.duplicate_product(product)
    (copied,) = copy.images.all()
    assert not set(names_of(copied)) & set(names_of(image))
    with on_commit():
        shop_services.delete_image(copied)
    assert all(status(client, f"/media/{name}") == 200 for name in names_of(image))
    assert not set(names_of(copied)) & public_files()


def test_a_photo_shared_by_an_older_copy_is_kept_until_its_last_row_goes(owner_client, on_commit):
    """Copies made before duplicates got their own files name the same files."""
    product = ProductFactory()
    (image,) = upload_photos(owner_client, product, 1)
    sharing = ProductImage.objects.create(
        product=ProductFactory(),
        **{field: getattr(image, field).name for field in FIELDS},
        width=image.width,
        height=image.height,
    )
    with on_commit():
        shop_services.delete_image(image)
    assert set(names_of(sharing)) <= public_files()
    with on_commit():
        shop_services.delete_image(sharing)
    assert not set(names_of(sharing)) & public_files()


def test_a_delete_that_rolls_back_keeps_the_files(owner_client, on_commit):
    product = ProductFactory()
    (image,) = upload_photos(owner_client, product, 1)
    pk = image.pk
    with on_commit():
        with pytest.raises(RuntimeError), transaction.atomic():
            shop_services.delete_image(image)
            raise RuntimeError
    assert ProductImage.objects.filter(pk=pk).exists()
    assert set(names_of(image)) <= public_files()


def test_an_archived_products_photos_stay_public(owner_client, client):
    """Archiving takes the garment off the shop; its photos were public and stay so."""
    product = ProductFactory()
    (image,) = upload_photos(owner_client, product, 1)
    shop_services.archive_product(product)
    assert status(client, product.get_absolute_url()) == 404
    assert status(client, f"/media/{image.large.name}") == 200
