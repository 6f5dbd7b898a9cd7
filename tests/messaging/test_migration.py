"""The old email logs (OrderEmail, TicketEmail) become sent Messages, and come back."""

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase

from messaging.models import Message
from orders.emails import queue_order_email
from support import services as support_services

from ..factories import VariantFactory
from ..orders.helpers import place

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("messaging", "0001_initial"),
    ("orders", "0001_initial"),
    ("support", "0005_ticket_photos_private"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_old_logs_are_copied_so_nothing_is_sent_twice_and_go_back_on_the_way_down():
    try:
        order = place({VariantFactory(stock=3): 1})
        ticket = support_services.open_ticket(
            email="mei@example.com", name="Mei", topic="other", body="Hi"
        )
        Message.objects.all().delete()  # a database from before messaging
        apps = migrate(BEFORE)
        apps.get_model("orders", "OrderEmail").objects.create(order_id=order.pk, kind="placed")
        apps.get_model("support", "TicketEmail").objects.create(ticket_id=ticket.pk, key="opened:")

        migrate(leaves())
        assert sorted(Message.objects.values_list("key", "kind", "recipient", "state")) == [
            (f"order:{order.pk}:placed", "order.placed", order.email, "sent"),
            (f"ticket:{ticket.pk}:opened::", "ticket.opened", "mei@example.com", "sent"),
        ]
        # The order's placed email is known as sent: queueing it again sends nothing.
        mail.outbox.clear()
        with TestCase.captureOnCommitCallbacks(execute=True):
            queue_order_email(order, "placed")
        assert not mail.outbox and Message.objects.count() == 2

        apps = migrate(BEFORE)
        OrderEmail = apps.get_model("orders", "OrderEmail")
        TicketEmail = apps.get_model("support", "TicketEmail")
        assert list(OrderEmail.objects.values_list("order_id", "kind")) == [(order.pk, "placed")]
        assert list(TicketEmail.objects.values_list("ticket_id", "key")) == [(ticket.pk, "opened:")]
        assert not apps.get_model("messaging", "Message").objects.exists()
    finally:
        migrate(leaves())
