"""A ticket's photos are as private as its thread: served to the link's holder and to staff,
never from public media."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from support import services
from support.models import TicketAttachment
from tests.factories import image_upload

pytestmark = pytest.mark.django_db


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


def test_the_customer_sees_their_photo_through_their_link_only(client):
    ticket, photo = _ticket_with_photo(client)
    page = client.get(ticket.get_absolute_url()).content.decode()
    small = reverse("support:attachment", args=[ticket.token, photo.pk, "small"])
    assert small in page
    response = client.get(small)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"  # a WebP rendition
    # Nowhere in public media, and not at its public address either.
    for field in ("original", "small", "large"):
        name = getattr(photo, field).name
        assert not (Path(settings.MEDIA_ROOT) / name).exists()
        assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).exists()
        assert client.get(f"{settings.MEDIA_URL}{name}").status_code == 404


def test_another_tickets_link_or_an_unknown_size_opens_nothing(client):
    ticket, photo = _ticket_with_photo(client)
    other = services.open_ticket(email="x@example.com", name="X", topic="other", body="Hi")
    for args in (
        [other.token, photo.pk, "small"],
        [ticket.token, photo.pk, "original2"],
        [ticket.token + "x", photo.pk, "large"],
        [ticket.token, photo.pk + 1, "large"],
    ):
        assert client.get(reverse("support:attachment", args=args)).status_code == 404


def test_staff_open_photos_by_the_ticket_number_never_through_the_customers_link(
    client, support_user, customer
):
    ticket, photo = _ticket_with_photo(client)
    staff_url = reverse("support_manage:attachment", args=[ticket.pk, photo.pk, "large"])
    client.logout()
    assert client.get(staff_url).status_code == 302  # to sign-in
    client.force_login(customer)
    assert client.get(staff_url).status_code == 403
    client.force_login(support_user)
    page = client.get(ticket.get_manage_url()).content.decode()
    assert staff_url in page and ticket.token not in page
    assert client.get(staff_url).status_code == 200
    wrong_ticket = reverse("support_manage:attachment", args=[ticket.pk + 1, photo.pk, "large"])
    assert client.get(wrong_ticket).status_code == 404


def test_the_migration_moves_photos_already_uploaded_out_of_public_media(client):
    _, photo = _ticket_with_photo(client)
    public, private = storages["default"], storages["private"]
    # As before the migration: the files in public media.
    for field in ("original", "small", "large"):
        name = getattr(photo, field).name
        with private.open(name, "rb") as handle:
            public.save(name, ContentFile(handle.read()))
        private.delete(name)
    migration = importlib.import_module("support.migrations.0005_ticket_photos_private")
    migration.withdraw(apps, None)
    photo.refresh_from_db()
    for field in ("original", "small", "large"):
        name = getattr(photo, field).name
        assert private.exists(name) and not public.exists(name)
    migration.publish(apps, None)  # and back, for a reverse migration
    photo.refresh_from_db()
    assert all(public.exists(getattr(photo, f).name) for f in ("original", "small", "large"))
