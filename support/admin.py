from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from config.admin import OwnerAdmin

from .models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(OwnerAdmin, TranslationAdmin):
    list_display = ("title", "updated_at")
    search_fields = ("title", "body")
