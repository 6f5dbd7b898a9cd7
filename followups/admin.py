from django.contrib import admin

from config.admin import ReadOnlyAdmin

from .models import DispatcherRun, FollowUp, Suppression


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("kind", "state", "order", "ticket", "email", "phone", "due_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("email", "phone", "order__number")
    list_select_related = ("order", "ticket")
    exclude = ("message",)  # its row holds the email with the buyer's links


@admin.register(DispatcherRun)
class DispatcherRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "claimed",
        "sent",
        "skipped",
        "failed",
        "interrupted",
    )


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ("email", "phone", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email", "phone")
