"""Django's admin for operations: at settings.ADMIN_URL (none by default in production), open
to superusers and to the shop's owners (accounts' Owner role), never to other users.

Tables whose rows only services may change (messages, follow-ups, dispatcher runs, the
suppression list) are read-only here: ReadOnlyAdmin refuses adding, changing and deleting, so
no edit bypasses the guards, the cap or the audit trail. The owner's own texts (categories,
canned replies) and staff accounts are editable, through the same services where there is one.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import OWNER


class ShopAdminSite(admin.AdminSite):
    site_header = _("Shop operations")
    site_title = _("Shop operations")

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or user.has_role(OWNER))


def _owner(request) -> bool:
    return request.user.is_active and request.user.has_role(OWNER)


class OwnerAdmin(admin.ModelAdmin):
    """The owner (or a superuser) may see this table and edit it."""

    def has_module_permission(self, request) -> bool:
        return _owner(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _owner(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return _owner(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _owner(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _owner(request) or super().has_delete_permission(request, obj)


class ReadOnlyAdmin(OwnerAdmin):
    """Seen, never edited: the services own these rows."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
