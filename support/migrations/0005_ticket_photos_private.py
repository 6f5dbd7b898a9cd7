"""Ticket photos leave public media for the private storage: they are as private as the thread."""

from django.db import migrations, models

import shop.storage

FIELDS = ("original", "small", "large")


def _move(apps, source, target):
    TicketAttachment = apps.get_model("support", "TicketAttachment")
    for attachment in TicketAttachment.objects.all().iterator():
        names = {}
        for field in FIELDS:
            name = getattr(attachment, field).name
            if name and source.exists(name):
                with source.open(name, "rb") as handle:
                    names[field] = target.save(name, handle)
                source.delete(name)
        if names:
            TicketAttachment.objects.filter(pk=attachment.pk).update(**names)


def withdraw(apps, schema_editor):
    from django.core.files.storage import storages

    _move(apps, storages["default"], shop.storage.private_storage())


def publish(apps, schema_editor):
    from django.core.files.storage import storages

    _move(apps, shop.storage.private_storage(), storages["default"])


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0004_ticket_order_proven"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticketattachment",
            name=field,
            field=models.ImageField(storage=shop.storage.private_storage, upload_to="tickets/%Y/%m/"),
        )
        for field in FIELDS
    ] + [migrations.RunPython(withdraw, publish)]
