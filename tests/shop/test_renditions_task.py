"""Product photos' renditions are made by a task, not in the owner's request: the upload
stores the cleaned master, the page shows it until the task ran, and the task run twice makes
no second set."""

import os
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from shop import tasks
from shop.models import ProductImage

from ..factories import ProductFactory, VariantFactory, image_upload

pytestmark = pytest.mark.django_db


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {
        Path(folder, name).relative_to(root).as_posix()
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


def test_the_upload_answers_with_the_master_and_the_task_makes_the_renditions_once(
    owner_client, client, on_commit
):
    product = ProductFactory()
    VariantFactory(product=product)
    before = media_files()
    with mock.patch.object(tasks.make_product_renditions, "delay") as queued, on_commit():
        response = owner_client.post(
            reverse("shop_manage:image_upload", args=[product.pk]),
            {"images": [image_upload("a.jpg", size=(1600, 2000)), image_upload("b.jpg")]},
        )
    assert response.status_code == 302
    images = list(product.images.all())
    # Queued after the commit, one task per photo; nothing made in the request.
    assert sorted(call.args for call in queued.call_args_list) == sorted(
        (image.pk,) for image in images
    )
    assert all(not image.small and not image.large for image in images)
    assert len(media_files() - before) == 2  # the two masters
    page = client.get(product.get_absolute_url()).content.decode()
    first = images[0]
    assert first.original.url in page and "-400.webp" not in page and "srcset" not in page

    with on_commit():  # the worker's transaction commits: the catalogue's version moves on
        assert tasks.make_product_renditions.apply(args=[first.pk]).get() is True
    first.refresh_from_db()
    assert first.small.name.endswith("-400.webp") and first.large.name.endswith("-1200.webp")
    stem = first.original.name.removesuffix(".webp")
    assert first.small.name == f"{stem}-400.webp"
    assert first.small.storage.exists(first.small.name)
    made = media_files()
    client.get(reverse("shop:home"))  # the catalogue's cache was bumped: the page is new
    page = client.get(product.get_absolute_url()).content.decode()
    assert first.large.url in page and f"{first.small.url} 400w" in page

    # Run again (a redelivery, the sweep): nothing new, no second set of files.
    assert tasks.make_product_renditions.apply(args=[first.pk]).get() is False
    assert media_files() == made
    first.refresh_from_db()
    assert first.small.name == f"{stem}-400.webp"


def test_a_run_cut_off_after_writing_files_replaces_them_instead_of_adding_copies():
    product = ProductFactory()
    from shop import services
    from shop.images import clean_original

    (image,) = services.add_images(product, [clean_original(image_upload("c.jpg"))])
    stem = image.original.name.removesuffix(".webp")
    storage = image.original.storage
    storage.save(f"{stem}-400.webp", image_upload("left-behind.jpg"))  # a cut-off earlier run
    before = media_files()
    assert tasks.make_product_renditions.apply(args=[image.pk]).get() is True
    image.refresh_from_db()
    assert image.small.name == f"{stem}-400.webp"  # not a "_AbC123" copy beside it
    assert media_files() - before == {f"{stem}-1200.webp"}
    with storage.open(image.small.name) as handle:
        assert handle.read()[:4] == b"RIFF"


def test_the_sweep_queues_photos_whose_task_was_lost(owner, on_commit):
    from django.utils import timezone

    from shop import services
    from shop.images import clean_original

    product = ProductFactory()
    with mock.patch.object(tasks.make_product_renditions, "delay"):
        (old,) = services.add_images(product, [clean_original(image_upload("d.jpg"))])
        (new,) = services.add_images(product, [clean_original(image_upload("e.jpg"))])
    ProductImage.objects.filter(pk=old.pk).update(created_at=timezone.now() - tasks.SWEEP_GRACE * 2)
    with mock.patch.object(tasks.make_product_renditions, "delay") as queued:
        assert tasks.sweep_renditions() == 1
    assert queued.call_args_list == [mock.call(old.pk)]


def test_a_deleted_photo_is_skipped_by_its_task():
    assert tasks.make_product_renditions.apply(args=[987654]).get() is False
