from django.contrib import admin

from config.admin import ReadOnlyAdmin

from .models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    # Never the subject, text, HTML or headers: they hold the buyer's private links.
    fields = list_display = (
        "kind",
        "channel",
        "recipient",
        "language",
        "about",
        "about_id",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
    )
    list_filter = ("state", "channel", "kind")
    search_fields = ("recipient", "kind")
    date_hierarchy = "created_at"
