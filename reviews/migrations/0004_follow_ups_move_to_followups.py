"""FollowUp, Suppression and DispatcherRun now belong to the followups app (its 0001).

State only: their tables and rows stay; backwards, the models come back here unchanged.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_withdraw_personal_data_photos"),
        ("followups", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="DispatcherRun"),
                migrations.DeleteModel(name="Suppression"),
                migrations.DeleteModel(name="FollowUp"),
            ],
        ),
    ]
