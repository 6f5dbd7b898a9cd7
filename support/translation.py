"""Canned replies in both languages (django-modeltranslation): `title_zh_hans`, `title_en`,
`body_zh_hans`, `body_en`. Titles are unique per language; an empty one is NULL (never a
clash). A ticket gets the body in its own language, or the other one when that is empty."""

from modeltranslation.translator import TranslationOptions, register

from .models import CannedReply


@register(CannedReply)
class CannedReplyTranslation(TranslationOptions):
    fields = ("title", "body")
    empty_values = {"title": None, "body": ""}
