"""Copy the canned replies written so far (in English) into their English columns; the
Chinese ones stay empty and fall back to English until written (see the same step in
shop/migrations/0005_existing_texts_are_english.py for why nothing goes into `_zh_hans`)."""

from django.db import migrations
from django.db.models import F


def copy_to_english(apps, schema_editor):
    CannedReply = apps.get_model("support", "CannedReply")
    CannedReply.objects.update(title_en=F("title"), body_en=F("body"))


class Migration(migrations.Migration):
    dependencies = [("support", "0007_canned_reply_both_languages")]

    operations = [migrations.RunPython(copy_to_english, migrations.RunPython.noop)]
