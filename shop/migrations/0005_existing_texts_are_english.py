"""Copy the texts written before the shop had two languages into their English columns.

Everything in the shop so far was written in English, so each plain column (`name`, `story`,
...) is copied into `<field>_en` and nothing goes into `<field>_zh_hans`. modeltranslation does
not need the default language's column filled: reading `product.name` walks the fallback order
(MODELTRANSLATION_FALLBACK_LANGUAGES, zh-hans then en) and takes the first column that holds a
text, so a Chinese visitor reads the English text until the owner writes a Chinese one. Copying
the English into `_zh_hans` as well (what `update_translation_fields` would do with a Chinese
default language) would label English text as Chinese: the product form would show it in the
Chinese box, the owner could not see what is still untranslated, and search and the page's
lang attributes would treat it as Chinese.

The plain columns are left as they are (the shop keeps writing its own language there, see
shop.models.SavedInShopLanguage), so the reverse has nothing to undo.
"""

from django.db import migrations
from django.db.models import F

TEXTS = {
    "ShopProfile": (
        "name",
        "tagline",
        "story",
        "location",
        "difference",
        "shipping_policy",
        "returns_policy",
        "bank_transfer_instructions",
    ),
    "Category": ("name",),
    "Product": ("name", "description", "material", "care", "size_chart"),
}


def copy_to_english(apps, schema_editor):
    for model_name, fields in TEXTS.items():
        model = apps.get_model("shop", model_name)
        model.objects.update(**{f"{field}_en": F(field) for field in fields})


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_bilingual_texts_legal_info_old_slugs")]

    operations = [migrations.RunPython(copy_to_english, migrations.RunPython.noop)]
