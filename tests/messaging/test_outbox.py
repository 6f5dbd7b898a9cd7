"""The demo's /outbox/ page reads the Message table; its backend sends nothing."""

import pytest
from django.core import mail

from messaging.models import Message
from messaging.services import queue_message

pytestmark = pytest.mark.django_db


def test_the_outbox_lists_messages_newest_first_with_relative_links(
    client, settings, note, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.SITE_URL = "https://shop.example"
    with django_capture_on_commit_callbacks(execute=True):
        queue_message(
            note(body="Track: https://shop.example/orders/abc/", title="First"),
            to="a@example.com",
            kind="t",
            key="1",
        )
        queue_message(note(title="Second"), to="b@example.com", kind="t", key="2")
    page = client.get("/outbox/").content.decode()
    assert page.index("Hello: Second") < page.index("Hello: First")
    assert 'href="/orders/abc/"' in page and "to a@example.com" in page


def test_the_outbox_is_demo_only(client, settings):
    settings.DEBUG = False
    assert client.get("/outbox/").status_code == 404


def test_the_demo_backend_sends_nothing_and_each_message_is_one_row(
    settings, note, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "messaging.backends.DemoBackend"
    with django_capture_on_commit_callbacks(execute=True):
        queued = queue_message(note(), to="a@example.com", kind="t", key="1")
    assert list(Message.objects.values_list("pk", "state")) == [(queued.pk, "sent")]
    assert not mail.outbox
