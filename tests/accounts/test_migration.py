"""The data migration: old confirmed users become verified allauth addresses, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0003_shipping_and_confirmation")]
AFTER = [("accounts", "0005_remove_user_email_confirmed_at")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_confirmed_users_are_verified_and_the_others_are_not():
    try:
        apps = migrate(BEFORE)
        User = apps.get_model("accounts", "User")
        User.objects.create(email="confirmed@example.com", email_confirmed_at=timezone.now())
        User.objects.create(email="Mixed.Case@Example.com", email_confirmed_at=timezone.now())
        User.objects.create(email="unconfirmed@example.com")

        apps = migrate(AFTER)
        EmailAddress = apps.get_model("account", "EmailAddress")
        rows = {
            a.email: (a.verified, a.primary, a.user.email)
            for a in EmailAddress.objects.select_related("user")
        }
        assert rows == {
            "confirmed@example.com": (True, True, "confirmed@example.com"),
            "mixed.case@example.com": (True, True, "Mixed.Case@Example.com"),
            "unconfirmed@example.com": (False, True, "unconfirmed@example.com"),
        }

        # Backwards: a verified primary address sets the old field again.
        apps = migrate(BEFORE)
        User = apps.get_model("accounts", "User")
        confirmed = dict(User.objects.values_list("email", "email_confirmed_at"))
        assert confirmed["confirmed@example.com"] is not None
        assert confirmed["Mixed.Case@Example.com"] is not None
        assert confirmed["unconfirmed@example.com"] is None

        # And forwards again changes nothing twice (rows kept, none doubled).
        apps = migrate(AFTER)
        EmailAddress = apps.get_model("account", "EmailAddress")
        assert EmailAddress.objects.count() == 3
        assert EmailAddress.objects.filter(verified=True).count() == 2
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
