"""The old per-app email logs (orders.OrderEmail, support.TicketEmail) become sent Messages.

They recorded which email an order or a ticket had had, not its text; the copies keep that
history, and an order's copy carries the key its email is queued under now, so an email sent
before this release is never sent again. Reversed, the rows go back to the old tables.
"""

from django.db import migrations

PLACEHOLDER = "(sent before messages were recorded whole)"


def forwards(apps, schema_editor):
    Message = apps.get_model("messaging", "Message")
    OrderEmail = apps.get_model("orders", "OrderEmail")
    TicketEmail = apps.get_model("support", "TicketEmail")
    rows = [
        Message(
            key=f"order:{row.order_id}:{row.kind}",
            kind=f"order.{row.kind}",
            recipient=row.order.email,
            about="order",
            about_id=row.order_id,
            sent_at=row.sent_at,
        )
        for row in OrderEmail.objects.select_related("order").iterator()
    ]
    for row in TicketEmail.objects.select_related("ticket").iterator():
        kind, _, message_id = row.key.partition(":")
        rows.append(
            Message(
                # One old row stood for every recipient of the email: no recipient in the key.
                key=f"ticket:{row.ticket_id}:{kind}:{message_id}:",
                kind=f"ticket.{kind}",
                recipient=row.ticket.email if not kind.startswith("staff_") else "",
                about="ticket",
                about_id=row.ticket_id,
                sent_at=row.sent_at,
            )
        )
    for message in rows:
        message.language = ""
        message.sender = ""
        message.subject = PLACEHOLDER
        message.text = ""
        message.state = "sent"
        message.attempts = 1
        message.next_attempt_at = message.sent_at
    Message.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Message = apps.get_model("messaging", "Message")
    OrderEmail = apps.get_model("orders", "OrderEmail")
    TicketEmail = apps.get_model("support", "TicketEmail")
    sent = Message.objects.filter(state="sent")
    OrderEmail.objects.bulk_create(
        [
            OrderEmail(order_id=m.about_id, kind=m.kind.removeprefix("order."), sent_at=m.sent_at)
            for m in sent.filter(about="order", kind__startswith="order.").iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    TicketEmail.objects.bulk_create(
        [
            TicketEmail(
                ticket_id=m.about_id,
                key=":".join(m.key.split(":")[2:4]),
                sent_at=m.sent_at,
            )
            for m in sent.filter(about="ticket", kind__startswith="ticket.").iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    Message.objects.filter(subject=PLACEHOLDER).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("orders", "0001_initial"),
        ("support", "0005_ticket_photos_private"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
