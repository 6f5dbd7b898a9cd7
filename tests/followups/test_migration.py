"""The follow-up models moved from reviews to followups without losing a row, and back.

Runs on SQLite and on PostgreSQL (set DATABASE_URL): the move is state only, so the tables,
their rows and constraints must come through both ways untouched.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from followups.models import DispatcherRun, FollowUp, Suppression
from followups.services import suppress

from ..reviews.helpers import delivered_order

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reviews", "0003_withdraw_personal_data_photos"), ("followups", None)]


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


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
