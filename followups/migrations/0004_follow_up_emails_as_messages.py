"""Follow-up emails sent (or failed) before they went through messaging become Messages.

The cap counts messaging's rows now, so the emails of the last 30 days must be among them (or
a buyer could get three more at once), and every email the shop sent is one row in Message:
one per email, merged rows linking the email that carried them. Their text was not kept; the
subject says so. Rows an old dispatcher left "sending" are planned again, as its release of
stuck rows did. Reversed: the copies go, and rows whose email messaging has not sent yet go
back to planned, for the old dispatcher to send.
"""

from django.db import migrations
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

PLACEHOLDER = "(sent before follow-ups went through messaging)"


def forwards(apps, schema_editor):
    FollowUp = apps.get_model("followups", "FollowUp")
    Message = apps.get_model("messaging", "Message")
    FollowUp.objects.filter(state="sending", message__isnull=True).update(
        state="planned", merged_into=None
    )
    leads = FollowUp.objects.filter(
        state__in=["sent", "failed"], merged_into__isnull=True, message__isnull=True
    )
    batch = []
    fields = ("pk", "kind", "email", "state", "attempts", "last_error", "sent_at", "claimed_at")
    for row in leads.values(*fields, "due_at").iterator():
        when = row["sent_at"] or row["claimed_at"] or row["due_at"]
        batch.append(
            Message(
                key=f"followup:{row['pk']}",
                # The lead's kind is the email's (a merged email is led by its review request).
                kind=f"followup.{row['kind']}",
                recipient=row["email"],
                language="",
                about="followup",
                about_id=row["pk"],
                sender="",
                subject=PLACEHOLDER,
                text="",
                state=row["state"],
                attempts=max(1, row["attempts"]),
                last_error=row["last_error"],
                next_attempt_at=when,
                sent_at=row["sent_at"],
            )
        )
        if len(batch) == 1000:
            Message.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Message.objects.bulk_create(batch, ignore_conflicts=True)
    copies = Message.objects.filter(subject=PLACEHOLDER, kind__startswith="followup.")
    copies.update(created_at=F("next_attempt_at"))  # listed when they were sent
    lead_key = Concat(
        Value("followup:"),
        Cast(Coalesce(OuterRef("merged_into_id"), OuterRef("pk")), CharField()),
        output_field=CharField(),
    )
    FollowUp.objects.filter(state__in=["sent", "failed"], message__isnull=True).update(
        message=Subquery(copies.filter(key=lead_key).values("pk")[:1])
    )


def backwards(apps, schema_editor):
    FollowUp = apps.get_model("followups", "FollowUp")
    Message = apps.get_model("messaging", "Message")
    FollowUp.objects.filter(state="sending").update(state="planned", merged_into=None)
    Message.objects.filter(kind__startswith="followup.", state="queued").delete()
    Message.objects.filter(subject=PLACEHOLDER, kind__startswith="followup.").delete()


class Migration(migrations.Migration):
    dependencies = [("followups", "0003_followup_message")]

    operations = [migrations.RunPython(forwards, backwards)]
