"""Products with variants as CSV: one row per variant, product fields repeated on each row.

An import checks every cell of every row against the column it is stored in before anything is
written, and applies nothing if any row is bad; the report names each bad row by the line of
the file it starts on (the header is line 1; a quoted cell with line breaks spans several).
The export puts a ' before a cell starting with = + - or @, so that a spreadsheet does not run
it as a formula; the import takes exactly that ' off again, so a round trip keeps every value.

The owner's texts have one column per language (name_zh_hans, name_en, description_zh_hans,
...; category_zh_hans and category_en name the category). A file from before the shop had two
languages, with plain `name`, `category`, `description`, ... columns, still imports: those
cells are taken as the shop's own language (LANGUAGE_CODE). A language's column that the file
does not have leaves that language of an existing product as it was; one the file has sets it,
empty included. Reasons are written in the language of the person who uploaded the file.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from config.inputs import (
    LONG_TEXT_MAX,
    amount_bounds,
    int_range,
    is_one_line,
    parse_amount,
    parse_int,
)

from .models import Category, CategoryOldSlug, Product, Variant
from .slugs import unique_slug

LANGUAGES = ("zh-hans", "en")  # the column order: Chinese first
SHOP_LANGUAGE = settings.LANGUAGE_CODE
# The texts written per language, and the file columns of each (name -> name_zh_hans, ...).
TRANSLATED = ("name", "category", "description", "material", "care", "size_chart")


def _columns(field: str) -> list[str]:
    return [build_localized_fieldname(field, language) for language in LANGUAGES]


COLUMNS = [
    "slug",
    *_columns("name"),
    *_columns("category"),
    "status",
    "price",
    *_columns("description"),
    *_columns("material"),
    *_columns("care"),
    *_columns("size_chart"),
    "size",
    "colour",
    "sku",
    "variant_price",
    "stock",
]
# Required columns; a text's requirement is met by any of its columns (plain or per language).
REQUIRED = {"slug", "name", "category", "price", "size", "colour", "sku", "stock"}

# The cells that start a formula in a spreadsheet, and the mark the export puts before them.
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA_GUARD = "'"


def _field(model, name: str):
    return model._meta.get_field(name)


# Text cells: the column each is stored in (its length), and whether it is one line.
_TEXTS = {
    "name": (_field(Product, "name").max_length, True),
    "category": (_field(Category, "name").max_length, True),
    "description": (LONG_TEXT_MAX, False),
    "material": (_field(Product, "material").max_length, True),
    "care": (LONG_TEXT_MAX, False),
    "size_chart": (LONG_TEXT_MAX, False),
}
TEXT_CELLS = {
    "slug": (_field(Product, "slug").max_length, True),
    **{column: spec for field, spec in _TEXTS.items() for column in [field, *_columns(field)]},
    "size": (_field(Variant, "size").max_length, True),
    "colour": (_field(Variant, "colour").max_length, True),
    "sku": (_field(Variant, "sku").max_length, True),
}
PRICE = amount_bounds(_field(Product, "price"))
VARIANT_PRICE = amount_bounds(_field(Variant, "price"))
STOCK_MIN, STOCK_MAX = int_range(_field(Variant, "stock"))
CATEGORY_SLUG_MAX = _field(Category, "slug").max_length


def export_rows(products) -> list[list[str]]:
    """The CSV rows (header first) for `products`, variants prefetched by the caller."""
    rows = [COLUMNS]
    for product in products:
        for variant in product.variants.all():
            if not variant.is_active:
                continue
            texts = {
                column: getattr(product, column) or ""
                for text in ("name", "description", "material", "care", "size_chart")
                for column in _columns(text)
            }
            for column, name_column in zip(_columns("category"), _columns("name"), strict=True):
                texts[column] = getattr(product.category, name_column) or ""
            rows.append(
                [
                    product.slug,
                    *(texts[c] for c in _columns("name")),
                    *(texts[c] for c in _columns("category")),
                    product.status,
                    str(product.price),
                    *(texts[c] for c in _columns("description")),
                    *(texts[c] for c in _columns("material")),
                    *(texts[c] for c in _columns("care")),
                    *(texts[c] for c in _columns("size_chart")),
                    variant.size,
                    variant.colour,
                    variant.sku,
                    "" if variant.price is None else str(variant.price),
                    str(variant.stock),
                ]
            )
    return rows


def write_csv(rows, out) -> None:
    writer = csv.writer(out)
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it out.
        writer.writerow([FORMULA_GUARD + c if c.startswith(FORMULA_STARTS) else c for c in row])


def _unguarded(cell: str) -> str:
    """The cell as it was before the export's formula guard (only that one ' comes off)."""
    value = cell.strip()
    if value.startswith(FORMULA_GUARD) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


@dataclass
class ParsedProduct:
    slug: str
    line: int
    fields: dict
    variants: list[dict] = field(default_factory=list)


@dataclass
class ImportResult:
    errors: list[dict]
    products: list[ParsedProduct]
    total_rows: int


def _shown(value: str, limit: int = 40) -> str:
    """A cell quoted in a reason: short, whatever the file holds."""
    return value if len(value) <= limit else value[:limit] + "…"


def _text_reasons(row: dict) -> list[str]:
    reasons = []
    for column, (limit, one_line) in TEXT_CELLS.items():
        value = row.get(column, "")
        if len(value) > limit:
            reasons.append(
                _("%(column)s is longer than %(n)s characters") % {"column": column, "n": limit}
            )
        if "\x00" in value:
            reasons.append(_("%(column)s holds a NUL character") % {"column": column})
        elif one_line and not is_one_line(value):
            reasons.append(
                _("%(column)s must be one line, without line breaks or control characters")
                % {"column": column}
            )
    return reasons


def _texts(row: dict, header: set[str]) -> tuple[dict, list[str]]:
    """The row's texts per language column ({"name_zh_hans": ..., "name_en": ...}), only for
    the columns the file has (a plain `name` counts as the shop's language), and reasons."""
    texts, reasons = {}, []
    for text in TRANSLATED:
        for language, column in zip(LANGUAGES, _columns(text), strict=True):
            if column in header:
                texts[column] = row.get(column, "")
            if language == SHOP_LANGUAGE and text in header:
                plain = row.get(text, "")
                if texts.get(column) and plain and plain != texts[column]:
                    reasons.append(
                        _("%(plain)s and %(column)s differ; give one of them")
                        % {"plain": text, "column": column}
                    )
                elif plain:
                    texts[column] = plain
                else:
                    texts.setdefault(column, "")
    return texts, reasons


def _amount(value: str, bounds: dict):
    return parse_amount(value.replace(",", ""), **bounds)


class _BadFile(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells) for each record that is not a blank line.

    Lines are the file's own: a quoted cell with line breaks spans several. Raises _BadFile
    where the CSV cannot be read (an unclosed quote, a cell over the csv module's limit).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _BadFile(
                end + 1,
                _("The file is not readable CSV from line %(line)s: %(error)s.")
                % {"line": end + 1, "error": error},
            )
        start, end = end + 1, reader.line_num
        if cells:
            yield start, cells


def parse_import(
    text: str, *, progress: Callable[[int, int], None] | None = None, every: int = 200
) -> ImportResult:
    """Check every row of `text`; return the products to apply or every bad row."""
    try:
        records = list(_records(text.lstrip("\ufeff")))
    except _BadFile as bad:
        return ImportResult(
            errors=[{"line": bad.line, "reason": bad.reason}], products=[], total_rows=0
        )
    errors: list[dict] = []
    header = [h.strip().lower() for h in (records[0][1] if records else [])]
    given = set(header)
    missing = ", ".join(
        column
        for column in sorted(REQUIRED)
        if not ({column, *_columns(column)} & given if column in TRANSLATED else column in given)
    )
    if missing:
        return ImportResult(
            errors=[
                {"line": 1, "reason": _("Missing columns: %(columns)s.") % {"columns": missing}}
            ],
            products=[],
            total_rows=0,
        )
    raw_rows = records[1:]
    total = len(raw_rows)
    if total == 0:
        return ImportResult(
            errors=[{"line": 1, "reason": _("The file has no rows.")}], products=[], total_rows=0
        )
    statuses = {s.value for s in Product.Status}
    columns = set(header)
    products: dict[str, ParsedProduct] = {}
    skus: dict[str, int] = {}
    combos: dict[tuple[str, str, str], int] = {}
    for index, (line, cells) in enumerate(raw_rows):
        if len(cells) > len(header):
            errors.append({"line": line, "reason": _("More cells than columns.")})
            continue
        row = {column: _unguarded(cell) for column, cell in zip(header, cells, strict=False)}
        reasons = _text_reasons(row)
        texts, text_reasons = _texts(row, columns)
        reasons += text_reasons
        for column in sorted(REQUIRED):
            if column in TRANSLATED:
                if not any(texts.get(c) for c in _columns(column)):
                    reasons.append(_("%(column)s is empty in both languages") % {"column": column})
            elif not row.get(column):
                reasons.append(_("%(column)s is empty") % {"column": column})
        slug = row.get("slug", "")
        if slug and slugify(slug) != slug:
            reasons.append(
                _("slug “%(slug)s” may hold only lowercase letters, digits and dashes")
                % {"slug": _shown(slug)}
            )
        try:
            price = _amount(row["price"], PRICE) if row.get("price") else None
        except ValueError:
            reasons.append(
                _("price “%(value)s” is not an amount") % {"value": _shown(row["price"])}
            )
            price = None
        try:
            variant_price = (
                _amount(row["variant_price"], VARIANT_PRICE) if row.get("variant_price") else None
            )
        except ValueError:
            reasons.append(
                _("variant_price “%(value)s” is not an amount")
                % {"value": _shown(row["variant_price"])}
            )
            variant_price = None
        try:
            stock = parse_int(row.get("stock") or "0", min_value=-STOCK_MAX, max_value=STOCK_MAX)
            if stock < STOCK_MIN:
                reasons.append(_("stock cannot be negative"))
        except ValueError:
            reasons.append(
                _("stock “%(value)s” is not a whole number from 0 to %(max)s")
                % {"value": _shown(row["stock"]), "max": STOCK_MAX}
            )
            stock = 0
        status = row.get("status") or Product.Status.ACTIVE
        if status not in statuses:
            reasons.append(
                _("status must be one of %(statuses)s") % {"statuses": ", ".join(sorted(statuses))}
            )
        if "|" in row.get("size", "") + row.get("colour", ""):
            reasons.append(_("size and colour cannot contain “|”"))
        sku = row.get("sku", "").upper()
        if sku and sku in skus:
            reasons.append(
                _("SKU %(sku)s is also on line %(line)s") % {"sku": sku, "line": skus[sku]}
            )
        combo = (slug, row.get("size", ""), row.get("colour", ""))
        if all(combo) and combo in combos:
            reasons.append(
                _("size %(size)s / %(colour)s of %(slug)s is also on line %(line)s")
                % {"size": combo[1], "colour": combo[2], "slug": slug, "line": combos[combo]}
            )
        fields = {
            **{c: v for c, v in texts.items() if not c.startswith("category_")},
            "category": {c: v for c, v in texts.items() if c.startswith("category_")},
            "status": status,
            "price": price,
        }
        parsed = products.get(slug)
        if parsed is not None and not reasons:
            for name in (*_columns("name"), "category", "price"):
                if fields.get(name) != parsed.fields.get(name):
                    reasons.append(
                        _("%(column)s differs from line %(line)s for the same slug")
                        % {"column": name, "line": parsed.line}
                    )
        if reasons:
            errors.append({"line": line, "reason": "; ".join(reasons) + "."})
        else:
            skus[sku] = line
            combos[combo] = line
            if parsed is None:
                parsed = products[slug] = ParsedProduct(slug=slug, line=line, fields=fields)
            parsed.variants.append(
                {
                    "size": combo[1],
                    "colour": combo[2],
                    "sku": sku,
                    "price": variant_price,
                    "stock": stock,
                    "line": line,
                }
            )
        if progress and (index + 1) % every == 0:
            progress(index + 1, total)
    # SKUs already used by a product the file does not name are refused.
    if skus:
        owners = dict(
            Variant.objects.filter(sku__in=list(skus)).values_list("sku", "product__slug")
        )
        for sku, owner in owners.items():
            line = skus[sku]
            own_slug = next(
                (p.slug for p in products.values() for v in p.variants if v["sku"] == sku), None
            )
            if owner != own_slug:
                errors.append(
                    {
                        "line": line,
                        "reason": _("SKU %(sku)s belongs to product “%(slug)s”.")
                        % {"sku": sku, "slug": owner},
                    }
                )
    errors.sort(key=lambda e: e["line"])
    if progress:
        progress(total, total)
    return ImportResult(errors=errors, products=list(products.values()), total_rows=total)


def _category(names: dict, known: list[Category]) -> Category:
    """The category a row names ({"category_zh_hans": ..., "category_en": ...}): the one with
    the same name in either language (case aside), else a new one with those names."""
    wanted = {
        name_column: names.get(column, "").lower()
        for name_column, column in zip(_columns("name"), _columns("category"), strict=True)
    }
    for category in known:
        for name_column, name in wanted.items():
            if name and (getattr(category, name_column) or "").lower() == name:
                return category
    given = {
        c: names.get(f, "") for c, f in zip(_columns("name"), _columns("category"), strict=True)
    }
    shown = next(
        (
            given[c]
            for c in [build_localized_fieldname("name", SHOP_LANGUAGE), *given]
            if given.get(c)
        ),
        "",
    )
    category = Category.objects.create(
        slug=unique_slug(shown, Category, old_slugs=CategoryOldSlug, fallback="category"),
        **{column: value or None for column, value in given.items()},
    )
    known.append(category)
    return category


@transaction.atomic
def apply_import(products: list[ParsedProduct]) -> tuple[int, int]:
    """Create or update every product and its variants; returns (created, updated).

    Only the language columns the file has are written: an English-only file leaves the
    Chinese texts of the products it updates as they were.
    """
    created = updated = 0
    known = list(Category.objects.all())
    for parsed in products:
        category = _category(parsed.fields["category"], known)
        defaults = {**parsed.fields, "category": category}
        product, was_created = Product.objects.update_or_create(slug=parsed.slug, defaults=defaults)
        created += was_created
        updated += not was_created
        existing = {(v.size, v.colour): v for v in product.variants.all()}
        for spec in parsed.variants:
            variant = existing.get((spec["size"], spec["colour"])) or Variant(
                product=product, size=spec["size"], colour=spec["colour"]
            )
            variant.sku = spec["sku"]
            variant.price = spec["price"]
            variant.stock = spec["stock"]
            variant.is_active = True
            variant.save()
    return created, updated
