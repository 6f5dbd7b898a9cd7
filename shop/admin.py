from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from config.admin import OwnerAdmin

from . import services
from .models import Category


@admin.register(Category)
class CategoryAdmin(OwnerAdmin, TranslationAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")

    def save_model(self, request, obj, form, change):
        services.save_category(obj)  # keeps the old slug as a redirect, as /manage/ does
