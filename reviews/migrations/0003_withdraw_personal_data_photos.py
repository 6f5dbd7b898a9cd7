"""Photos of reviews already hidden for personal data leave public storage, as hiding now does."""

from django.db import migrations

import shop.storage

FIELDS = ("original", "small", "large")


def withdraw(apps, schema_editor):
    from django.core.files.storage import storages

    ReviewPhoto = apps.get_model("reviews", "ReviewPhoto")
    public, private = storages["default"], shop.storage.private_storage()
    photos = ReviewPhoto.objects.filter(
        review__status="hidden", review__hidden_reason="personal_data"
    )
    for photo in photos:
        names = {}
        for field in FIELDS:
            name = getattr(photo, field).name
            if name and public.exists(name):
                with public.open(name, "rb") as handle:
                    names[field] = private.save(name, handle)
                public.delete(name)
        if names:
            ReviewPhoto.objects.filter(pk=photo.pk).update(**names)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_dispatcherrun_suppression_followup"),
    ]

    operations = [
        migrations.RunPython(withdraw, migrations.RunPython.noop),
    ]
