"""Every kind of message (order, ticket, account) is a row of the one table, sent after commit."""

import pytest
from django.core import mail
from django.urls import reverse

from messaging.models import Message
from orders import services as order_services
from orders.models import OrderEvent
from orders.tasks import send_order_email
from support import services as support_services
from support.tasks import send_ticket_email

from ..factories import VariantFactory
from ..orders.helpers import place

pytestmark = pytest.mark.django_db


def rows():
    return sorted(Message.objects.values_list("kind", "recipient", "state", "about"))


def test_order_emails_are_rows_about_the_order_and_on_its_timeline(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place({VariantFactory(stock=3): 1})
        order_services.mark_shipped(order, carrier="SF", tracking_number="SF1")
    assert rows() == [
        ("order.placed", order.email, "sent", "order"),
        ("order.shipped", order.email, "sent", "order"),
    ]
    assert set(Message.objects.values_list("about_id", flat=True)) == {order.pk}
    assert [m.subject for m in mail.outbox] == list(
        Message.objects.order_by("id").values_list("subject", flat=True)
    )
    notes = order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, public=False)
    assert sorted(notes.values_list("note", flat=True)) == ["placed", "shipped"]


def test_ticket_emails_are_rows_one_per_recipient(
    support_user, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = support_services.open_ticket(
            email="mei@example.com", name="Mei", topic="other", body="Hello"
        )
    assert rows() == [
        ("ticket.opened", "mei@example.com", "sent", "ticket"),
        ("ticket.staff_new", owner.email, "sent", "ticket"),
        ("ticket.staff_new", support_user.email, "sent", "ticket"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["mei@example.com", owner.email, support_user.email]
    )
    assert set(Message.objects.values_list("about_id", flat=True)) == {ticket.pk}


def test_account_emails_are_rows_too(client, django_capture_on_commit_callbacks):
    data = {"email": "new@example.com", "first_name": "Sam", "password1": "linen-and-wool-42"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup"), data)
    assert rows() == [("account.email_confirmation_signup", "new@example.com", "sent", "account")]
    [email] = mail.outbox
    assert email.body == Message.objects.get().text and not email.alternatives


def test_tasks_queued_before_messaging_queue_once(django_capture_on_commit_callbacks):
    """A task left in the broker by the release before: it queues the row, once."""
    order = place({VariantFactory(stock=3): 1})
    Message.objects.all().delete()  # placed by the release before: no row, a task in the broker
    with django_capture_on_commit_callbacks(execute=True):
        assert send_order_email(order.pk, "placed") == "queued"
        assert send_order_email(order.pk, "placed") == "queued"
        assert send_ticket_email(10**9, "opened") == "no such ticket"
    assert rows() == [("order.placed", order.email, "sent", "order")]
    assert len(mail.outbox) == 1
