"""Readable, unique slugs for product and category addresses, Chinese names included.

A Chinese name becomes its pinyin without tones, one word per character (亚麻衬衫 ->
ya-ma-chen-shan); Latin words and digits in the name stay as they are (亚麻T恤 -> ya-ma-t-xu).
A slug taken by another row, or kept as another row's old address, gets -2, -3, ...; the
result always fits the column, the suffix included.
"""

from django.db.models import Model
from django.utils.text import slugify
from pypinyin import lazy_pinyin


def slug_text(name: str) -> str:
    """The slug words for `name`: pinyin for Chinese characters, the rest slugified."""
    # lazy_pinyin gives one syllable per Chinese character and passes every other run
    # through unchanged; slugify then drops punctuation (Chinese too) and accents.
    return slugify(" ".join(lazy_pinyin(name or "")))


def _cut(slug: str, limit: int) -> str:
    """`slug` at most `limit` characters, cut at a dash where there is one."""
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    if "-" in cut and slug[limit] != "-":
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


def unique_slug(
    name: str,
    model: type[Model],
    *,
    old_slugs: type[Model] | None = None,
    exclude_pk: int | None = None,
    fallback: str = "item",
) -> str:
    """A slug for `name` that no other `model` row uses, now or as an old address.

    Bounded by the model's slug column. Costs one query per candidate tried.
    """
    limit = model._meta.get_field("slug").max_length
    words = slug_text(name) or fallback
    slug, n = _cut(words, limit), 2
    while _taken(slug, model, old_slugs, exclude_pk):
        suffix = f"-{n}"
        slug, n = _cut(words, limit - len(suffix)) + suffix, n + 1
    return slug


def _taken(slug: str, model, old_slugs, exclude_pk) -> bool:
    if model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        return True
    if old_slugs is None:
        return False
    owner = old_slugs._meta.get_field(model._meta.model_name).attname
    return old_slugs.objects.filter(slug=slug).exclude(**{owner: exclude_pk}).exists()
