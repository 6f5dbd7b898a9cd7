"""Authentication backends that load a signed-in user with their roles in one query.

Every staff page asks for the user's roles (accounts.permissions.role_required), which was a
second query on each request after the session's user: here the user's row comes with an
EXISTS per role, so a cached staff page costs the user alone. Nothing is cached: a role taken
away holds from the next request, as before.
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef

from .models import OWNER, SUPPORT

ROLES = (OWNER, SUPPORT)


def with_roles(users):
    """`users` annotated with what User.has_role reads: a flag per role, and whether the user
    is in any other group (then has_role asks the database, as for a user loaded elsewhere)."""
    memberships = get_user_model().groups.through.objects.filter(user=OuterRef("pk"))
    return users.annotate(
        **{
            f"_in_{i}": Exists(memberships.filter(group__name=role)) for i, role in enumerate(ROLES)
        },
        _in_others=Exists(memberships.exclude(group__name__in=ROLES)),
    )


def load_user(backend, user_id):
    users = get_user_model()._default_manager
    try:
        user = with_roles(users.all()).get(pk=user_id)
    except users.model.DoesNotExist:
        return None
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
