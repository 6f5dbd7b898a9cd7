"""The follow-up models moved from reviews to followups without losing a row, and back.

Runs on SQLite and on PostgreSQL (set DATABASE_URL): the move is state only, so the tables,
their rows and constraints must come through both ways untouched.
"""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from followups import dispatch
from followups.models import DispatcherRun, FollowUp, Suppression
from followups.services import suppress
from messaging.models import Message

from ..reviews.helpers import delivered_order

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reviews", "0003_withdraw_personal_data_photos"), ("followups", None)]


def migrate(targets):
    """Migrate to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def test_the_move_keeps_every_row_both_ways():
    order = delivered_order()
    suppress("gone@example.com", Suppression.Reason.BOUNCE)
    DispatcherRun.objects.create(started_at=order.delivered_at, sent=7)
    rows = set(FollowUp.objects.values_list("pk", "order_id", "kind", "state", "due_at"))
    assert len(rows) == 3
    kept = ContentType.objects.get_for_model(FollowUp).pk

    migrate(BEFORE)  # back to the follow-ups living in reviews
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE[:1]).apps
        OldFollowUp = old.get_model("reviews", "FollowUp")
        assert (
            set(OldFollowUp.objects.values_list("pk", "order_id", "kind", "state", "due_at"))
            == rows
        )
        assert list(
            old.get_model("reviews", "Suppression").objects.values_list("email", "reason")
        ) == [("gone@example.com", "bounce")]
        assert old.get_model("reviews", "DispatcherRun").objects.get().sent == 7
        assert ContentType.objects.filter(pk=kept, app_label="reviews", model="followup").exists()
        # Rows written while the old code ran come through too.
        OldFollowUp.objects.filter(kind="care_check").update(state="sent")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(FollowUp).pk == kept
    assert set(FollowUp.objects.values_list("pk", "order_id", "kind", "due_at")) == {
        row[:3] + row[4:] for row in rows
    }
    assert FollowUp.objects.get(kind="care_check").state == "sent"
    assert FollowUp.objects.get(kind="care_check").merged_into is None
    assert Suppression.objects.get().email == "gone@example.com"
    assert DispatcherRun.objects.get().sent == 7


AT_0002 = [("followups", "0002_followup_merged_into")]


def test_emails_sent_before_messaging_become_messages_and_go_back(settings):
    """Sent and failed emails of the old dispatcher become Messages (so the cap counts them),
    each row linking the email that carried it; a row it left "sending" is planned again."""
    first, second = delivered_order(), delivered_order()  # one buyer: their care checks merged
    apps = migrate(AT_0002)
    try:
        OldFollowUp = apps.get_model("followups", "FollowUp")
        rows = {(r.order_id, r.kind): r for r in OldFollowUp.objects.all()}
        care, joined = rows[first.pk, "care_check"], rows[second.pk, "care_check"]
        sent_at = first.delivered_at + timedelta(days=2)
        OldFollowUp.objects.filter(pk=care.pk).update(state="sent", sent_at=sent_at, attempts=1)
        OldFollowUp.objects.filter(pk=joined.pk).update(
            state="sent", sent_at=sent_at, attempts=1, merged_into=care.pk
        )
        failed = rows[first.pk, "review_request"]
        OldFollowUp.objects.filter(pk=failed.pk).update(
            state="failed", attempts=5, last_error="SMTPServerDisconnected: gone"
        )
        stuck = rows[first.pk, "reminder"]
        OldFollowUp.objects.filter(pk=stuck.pk).update(state="sending", claimed_at=sent_at)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    copies = Message.objects.filter(kind__startswith="followup.")
    assert sorted(copies.values_list("key", "kind", "recipient", "state", "attempts")) == sorted(
        [
            (f"followup:{care.pk}", "followup.care_check", "buyer@example.com", "sent", 1),
            (f"followup:{failed.pk}", "followup.review_request", "buyer@example.com", "failed", 5),
        ]
    )
    copy = copies.get(state="sent")
    assert copy.sent_at == copy.created_at == sent_at
    assert copies.get(state="failed").last_error == "SMTPServerDisconnected: gone"
    links = dict(FollowUp.objects.values_list("pk", "message__key"))
    assert links[care.pk] == links[joined.pk] == f"followup:{care.pk}"
    assert links[failed.pk] == f"followup:{failed.pk}"
    assert FollowUp.objects.get(pk=stuck.pk).state == "planned" and links[stuck.pk] is None
    # The copied email counts under the cap like any other (the failed one does not).
    settings.FOLLOWUP_CAP = 1
    later = FollowUp.objects.filter(order=second, kind="review_request")
    later.update(due_at=timezone.now())
    assert dispatch.dispatch().skipped == 1
    assert later.get().skip_reason.startswith("1 follow-up emails already sent")

    # Down again: the copies go; a row whose email messaging has not sent yet is planned.
    FollowUp.objects.filter(pk=stuck.pk).update(state="sending")
    apps = migrate(AT_0002)
    try:
        assert not Message.objects.filter(kind__startswith="followup.").exists()
        states = dict(apps.get_model("followups", "FollowUp").objects.values_list("pk", "state"))
        assert (states[stuck.pk], states[care.pk], states[failed.pk]) == (
            "planned",
            "sent",
            "failed",
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
