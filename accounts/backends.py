"""Authentication backends that load a signed-in user with their roles in one query.

Every staff page asks for the user's roles (accounts.permissions.role_required), which was a
second query on each request after the session's user: here the user's row comes with an
EXISTS per role, so a cached staff page costs the user alone. Nothing is cached: a role taken
away holds from the next request, as before.
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection

from .models import OWNER, SUPPORT

ROLES = (OWNER, SUPPORT)


def _sql() -> str:
    """SELECT the user's row and a flag per role, and whether the user is in any other group.

    Written out rather than built by the ORM: the same query on every signed-in request, and
    compiling three EXISTS through the ORM cost more CPU than the query saved.
    """
    user = get_user_model()
    through = user.groups.through._meta
    group = Group._meta
    q = connection.ops.quote_name
    member = (
        # Names from the models' metadata, quoted; every value is a parameter.
        f"SELECT 1 FROM {q(through.db_table)} m JOIN {q(group.db_table)} g"  # noqa: S608
        f" ON g.{q(group.pk.column)} = m.{q(through.get_field('group').column)}"
        f" WHERE m.{q(through.get_field('user').column)} = u.{q(user._meta.pk.column)}"
    )
    flags = ", ".join(
        f"EXISTS ({member} AND g.{q('name')} = %s) AS {q(f'_in_{i}')}" for i in range(len(ROLES))
    )
    others = ", ".join(["%s"] * len(ROLES))
    return (
        f"SELECT u.*, {flags}, EXISTS ({member} AND g.{q('name')} NOT IN ({others}))"  # noqa: S608
        f" AS {q('_in_others')} FROM {q(user._meta.db_table)} u"
        f" WHERE u.{q(user._meta.pk.column)} = %s"
    )


def load_user(backend, user_id):
    """The active user `user_id` with what User.has_role reads, or None (ModelBackend's
    get_user, one query): a flag per role; a user in any other group too has no flags kept, so
    has_role asks the database, as for a user loaded elsewhere."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except (ValidationError, ValueError, TypeError):
        return None
    found = list(model._default_manager.raw(_sql(), [*ROLES, *ROLES, pk]))
    if not found:
        return None
    (user,) = found
    if not user._in_others:
        user._role_cache = {role for i, role in enumerate(ROLES) if getattr(user, f"_in_{i}")}
    return user if backend.user_can_authenticate(user) else None


class RolesModelBackend(ModelBackend):
    """Django's ModelBackend, loading the session's user with their roles."""

    def get_user(self, user_id):
        return load_user(self, user_id)


class RolesAuthenticationBackend(AuthenticationBackend):
    """allauth's backend (sign-in by email), loading the session's user with their roles."""

    def get_user(self, user_id):
        return load_user(self, user_id)
