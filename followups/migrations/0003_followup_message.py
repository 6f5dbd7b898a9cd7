"""Each follow-up links the messaging row of the email that carries it; the rows messaging
still has ("sending") get an index of their own, read every minute."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0002_followup_merged_into"),
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="messaging.message",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("state", "sending")),
                fields=["claimed_at"],
                name="follow_up_sending",
            ),
        ),
    ]
