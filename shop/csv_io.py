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

Files come from offices whose Excel saves CSV in different ways, so the bytes are read without
asking (decode): UTF-8 with or without a byte order mark, else GBK/GB18030 (what Excel on a
Chinese Windows PC writes for "CSV"), or UTF-16 with its byte order mark (Excel's "Unicode
text"); and the cells may be separated by commas, semicolons or tabs, taken from the header
line (sniff_delimiter). The export is UTF-8 with a byte order mark, which Excel on a Chinese
PC opens as UTF-8 (without the mark it reads the file as GBK and garbles every Chinese name).
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
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


# Read first: the byte order mark that Excel on a Chinese Windows PC needs to open the file as UTF-8.
BOM = "\ufeff"


def write_csv(rows, out) -> None:
    """Write `rows` to the text stream `out` as CSV for Excel: a UTF-8 byte order mark first (the
    caller encodes as UTF-8), and formula-looking cells guarded."""
    out.write(BOM)
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


# ------------------------------------------------------------------ encodings and separators
UTF8, GB18030, UTF16 = "utf-8", "gb18030", "utf-16"
# What the owner is told the file was read as ("Read as ..."), by encoding.
ENCODING_NAMES = {UTF8: "UTF-8", GB18030: "GBK/GB18030", UTF16: "UTF-16"}
DELIMITERS = (",", ";", "\t")  # the order breaks a tie: a comma first


class UnreadableFile(Exception):
    """The bytes are not text in any encoding the import reads; `reason` says where (translated
    in the active language), `line` is the line of the file it stopped on (from 1)."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def _decode_as(data: bytes, encoding: str, final: bool) -> str:
    """`data` decoded strictly; with final=False a character cut at the very end is no error
    (the form checks only the first few kilobytes)."""
    return codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=final)


def decode(data: bytes, *, final: bool = True) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was read as (UTF8, GB18030 or UTF16).

    Strict UTF-8 (a byte order mark allowed) comes first: GB18030 reads many UTF-8 byte
    sequences as other Chinese characters, while a GBK file is almost never valid UTF-8, so the
    order keeps short UTF-8 files from being taken as GBK. GB18030 is a superset of GBK and
    GB2312, so a GBK file reads the same. A byte order mark names the encoding outright (UTF-8
    or UTF-16); only without one is GB18030 tried. Raises UnreadableFile naming the line and
    byte where the encoding that read furthest stopped, e.g. a GBK file with a broken byte.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tried = [UTF16]
    elif data.startswith(codecs.BOM_UTF8):
        tried = [UTF8]
    else:
        tried = [UTF8, GB18030]
    failures = []
    for encoding in tried:
        try:
            text = _decode_as(data, "utf-8-sig" if encoding == UTF8 else encoding, final)
        except UnicodeDecodeError as error:
            failures.append((error.start, encoding))
            continue
        return text.lstrip(BOM), encoding
    start, encoding = max(failures)  # the likelier encoding is the one that read furthest
    read = data[:start].decode("utf-8-sig" if encoding == UTF8 else encoding)
    line = read.count("\n") + 1
    where = {
        "line": line,
        "byte": start + 1,
        "value": data[start : start + 1].hex().upper(),
        "encoding": ENCODING_NAMES[encoding],
    }
    if len(tried) == 1:
        reason = _(
            "The file says it is %(encoding)s text, but byte %(byte)s (0x%(value)s, on line "
            "%(line)s) is not part of a character. Save the file again from Excel as “CSV UTF-8” "
            "and upload that."
        )
    else:
        reason = _(
            "The file is neither UTF-8 nor GBK/GB18030 text: it reads as %(encoding)s up to line "
            "%(line)s, where byte %(byte)s (0x%(value)s) is not part of a character. Save the "
            "file again from Excel as “CSV UTF-8” and upload that."
        )
    raise UnreadableFile(line, reason % where)


def sniff_delimiter(text: str) -> str:
    """The separator of the file's cells: the one of , ; and tab the header line holds most of
    (a comma if it holds none). Excel writes semicolons where the decimal mark is a comma, and
    tabs for "Unicode text"; column names hold none of these, so a count is enough."""
    header = text.lstrip(BOM).split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    return max(DELIMITERS, key=lambda delimiter: counts[delimiter])


def _sentence(reasons: list[str]) -> str:
    """The reasons of one row as one sentence, in the reader's language (Chinese: ；and 。)."""
    return pgettext("the end of a sentence", "%(text)s.") % {
        "text": pgettext("between the reasons of one row", "; ").join(reasons)
    }


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
    delimiter: str = ","


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


class _DecimalComma(ValueError):
    pass


def _amount(value: str, bounds: dict, delimiter: str = ","):
    # A file separated by semicolons comes from a spreadsheet whose decimal mark may be a comma:
    # "189,00" there is 189, not 18900, so such a comma is refused rather than guessed at.
    if delimiter == ";" and "," in value:
        raise _DecimalComma(value)
    return parse_amount(value.replace(",", ""), **bounds)


def _amount_reason(column: str, value: str, error: ValueError) -> str:
    shown = {"column": column, "value": _shown(value)}
    if isinstance(error, _DecimalComma):
        return (
            _(
                "%(column)s “%(value)s” has a comma; in a file separated by semicolons write "
                "amounts with a decimal point, like 189.00"
            )
            % shown
        )
    if column == "price":
        return _("price “%(value)s” is not an amount") % shown
    return _("variant_price “%(value)s” is not an amount") % shown


class _BadFile(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def _records(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells) for each record that is not a blank line.

    Lines are the file's own: a quoted cell with line breaks spans several. Raises _BadFile
    where the CSV cannot be read (an unclosed quote, a cell over the csv module's limit).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
    text: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    every: int = 200,
    delimiter: str | None = None,
) -> ImportResult:
    """Check every row of `text`; return the products to apply or every bad row.

    The cells are separated by `delimiter`, by default the one the header line uses
    (sniff_delimiter); the result says which it was.
    """
    text = text.lstrip(BOM)
    delimiter = delimiter or sniff_delimiter(text)
    try:
        records = list(_records(text, delimiter))
    except _BadFile as bad:
        return ImportResult(
            errors=[{"line": bad.line, "reason": bad.reason}],
            products=[],
            total_rows=0,
            delimiter=delimiter,
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
        reason = _("Missing columns: %(columns)s.") % {"columns": missing}
        if len(header) == 1:
            # One long column: the cells are separated by something other than , ; or tab.
            reason += " " + _(
                "The header line reads as a single column: separate the columns with commas, "
                "semicolons or tabs."
            )
        return ImportResult(
            errors=[{"line": 1, "reason": reason}],
            products=[],
            total_rows=0,
            delimiter=delimiter,
        )
    raw_rows = records[1:]
    total = len(raw_rows)
    if total == 0:
        return ImportResult(
            errors=[{"line": 1, "reason": _("The file has no rows.")}],
            products=[],
            total_rows=0,
            delimiter=delimiter,
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
            price = _amount(row["price"], PRICE, delimiter) if row.get("price") else None
        except ValueError as error:
            reasons.append(_amount_reason("price", row["price"], error))
            price = None
        try:
            variant_price = (
                _amount(row["variant_price"], VARIANT_PRICE, delimiter)
                if row.get("variant_price")
                else None
            )
        except ValueError as error:
            reasons.append(_amount_reason("variant_price", row["variant_price"], error))
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
            errors.append({"line": line, "reason": _sentence(reasons)})
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
    return ImportResult(
        errors=errors, products=list(products.values()), total_rows=total, delimiter=delimiter
    )


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
