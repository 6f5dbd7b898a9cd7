"""The demo's /outbox/ page reads the Message table; its backend keeps mail in the table."""

import pytest
from django.core.mail import EmailMultiAlternatives

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


def test_the_demo_backend_keeps_other_mail_and_drops_the_channels(
    settings, note, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "messaging.backends.DemoBackend"
    with django_capture_on_commit_callbacks(execute=True):
        queued = queue_message(note(), to="a@example.com", kind="t", key="1")
    email = EmailMultiAlternatives("Direct", "Body", "shop@example.com", ["b@example.com"])
    email.attach_alternative("<p>Body</p>", "text/html")
    assert email.send() == 1
    assert sorted(Message.objects.values_list("kind", "recipient", "state", "html")) == [
        ("mail", "b@example.com", "sent", "<p>Body</p>"),
        ("t", "a@example.com", "sent", queued.html),
    ]
