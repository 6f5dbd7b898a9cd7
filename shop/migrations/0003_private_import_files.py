"""CSV imports move to the private storage under random names; files already uploaded follow."""

import uuid

from django.db import migrations, models

import shop.models
import shop.storage


def move_existing_imports(apps, schema_editor):
    from django.core.files.storage import storages

    ImportJob = apps.get_model("shop", "ImportJob")
    public, private = storages["default"], shop.storage.private_storage()
    for job in ImportJob.objects.exclude(file="").only("pk", "file"):
        old = job.file.name
        if not public.exists(old):
            continue
        with public.open(old, "rb") as handle:
            new = private.save(f"imports/{uuid.uuid4().hex}.csv", handle)
        ImportJob.objects.filter(pk=job.pk).update(file=new)
        public.delete(old)


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_shipping_and_confirmation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="file",
            field=models.FileField(
                storage=shop.storage.private_storage, upload_to=shop.models.import_file_name
            ),
        ),
        migrations.RunPython(move_existing_imports, migrations.RunPython.noop),
    ]
