"""The owner's texts in both languages (django-modeltranslation).

Each registered field gets one column per language, `<field>_zh_hans` and `<field>_en`, in
the same row, so a page reads both with the queries it makes today. Reading `product.name`
gives the visitor's language, or the other one when that column is empty (the fallback in
settings MODELTRANSLATION_FALLBACK_LANGUAGES). Lookups on `name` are rewritten by
modeltranslation to the *current* language's column only, with no fallback: code that must
find a text in either language (search, the CSV import) names both columns itself.

`empty_values = None` for the texts that are unique (category names): a language left empty
is stored as NULL, and NULLs never clash, so uniqueness holds per language without two
Chinese-only categories colliding on an empty English name.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Category, Product, ShopProfile

# The texts a person reads, per model. ShopProfile's "delivery and returns lines" are
# shipping_policy and returns_policy; the bank transfer instructions go to buyers too.
PROFILE_TEXTS = (
    "name",
    "tagline",
    "story",
    "location",
    "difference",
    "shipping_policy",
    "returns_policy",
    "bank_transfer_instructions",
)
CATEGORY_TEXTS = ("name",)
PRODUCT_TEXTS = ("name", "description", "material", "care", "size_chart")


@register(ShopProfile)
class ShopProfileTranslation(TranslationOptions):
    fields = PROFILE_TEXTS


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = CATEGORY_TEXTS
    empty_values = None


@register(Product)
class ProductTranslation(TranslationOptions):
    fields = PRODUCT_TEXTS
