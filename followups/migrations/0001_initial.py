"""The follow-up engine's models move here from the reviews app, keeping their tables.

State only: the tables (reviews_followup, reviews_suppression, reviews_dispatcherrun), their
rows, indexes and constraints stay as they are; reviews 0004 drops the models from its state
after this one. The content types follow, so permissions and admin history keep pointing at
the same models. Reversible: backwards, reviews gets the models back and nothing is dropped.
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("followup", "suppression", "dispatcherrun")


def move_content_types(apps, schema_editor, source="reviews", target="followups"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="followups", target="reviews")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0001_initial"),
        ("support", "0001_initial"),
        ("reviews", "0003_withdraw_personal_data_photos"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="DispatcherRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("started_at", models.DateTimeField(db_index=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("claimed", models.PositiveIntegerField(default=0)),
                        ("sent", models.PositiveIntegerField(default=0)),
                        ("skipped", models.PositiveIntegerField(default=0)),
                        ("failed", models.PositiveIntegerField(default=0)),
                    ],
                    options={"db_table": "reviews_dispatcherrun", "ordering": ["-started_at"]},
                ),
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("email", models.EmailField(max_length=254, unique=True)),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("unsubscribe", "Unsubscribed"),
                                    ("bounce", "Bounced"),
                                    ("complaint", "Complained"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"db_table": "reviews_suppression"},
                ),
                migrations.CreateModel(
                    name="FollowUp",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("care_check", "Care check"),
                                    ("review_request", "Review request"),
                                    ("reminder", "Review reminder"),
                                    ("satisfaction", "Was this solved?"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("email", models.EmailField(db_index=True, max_length=254)),
                        ("due_at", models.DateTimeField()),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("planned", "Planned"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("skipped", "Skipped"),
                                    ("failed", "Failed"),
                                ],
                                default="planned",
                                max_length=8,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("skip_reason", models.CharField(blank=True, max_length=200)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        (
                            "answer",
                            models.CharField(
                                blank=True,
                                choices=[("all_good", "All good"), ("problem", "There is a problem")],
                                max_length=10,
                            ),
                        ),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "order",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="follow_ups",
                                to="orders.order",
                            ),
                        ),
                        (
                            "ticket",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="follow_ups",
                                to="support.ticket",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reviews_followup",
                        "ordering": ["due_at", "id"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("state", "planned")),
                                fields=["due_at"],
                                name="follow_up_due_planned",
                            ),
                            models.Index(
                                fields=["email", "state", "sent_at"],
                                name="reviews_fol_email_97a9d4_idx",
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("order__isnull", False)),
                                fields=("order", "kind"),
                                name="one_follow_up_per_order_and_kind",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("ticket__isnull", False)),
                                fields=("ticket", "kind"),
                                name="one_follow_up_per_ticket_and_kind",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("order__isnull", False),
                                    ("ticket__isnull", False),
                                    _connector="OR",
                                ),
                                name="follow_up_has_order_or_ticket",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
