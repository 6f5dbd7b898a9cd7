"""Products with variants as CSV: one row per variant, product fields repeated on each row.

An import checks every cell of every row against the column it is stored in before anything is
written, and applies nothing if any row is bad; the report names each bad row by the line of
the file it starts on (the header is line 1; a quoted cell with line breaks spans several).
The export puts a ' before a cell starting with = + - or @, so that a spreadsheet does not run
it as a formula; the import takes exactly that ' off again, so a round trip keeps every value.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from config.inputs import (
    LONG_TEXT_MAX,
    amount_bounds,
    int_range,
    is_one_line,
    parse_amount,
    parse_int,
)

from .models import Category, Product, Variant

COLUMNS = [
    "slug",
    "name",
    "category",
    "status",
    "price",
    "description",
    "material",
    "care",
    "size",
    "colour",
    "sku",
    "variant_price",
    "stock",
]
REQUIRED = {"slug", "name", "category", "price", "size", "colour", "sku", "stock"}
PRODUCT_FIELDS = ["name", "category", "status", "price", "description", "material", "care"]

# The cells that start a formula in a spreadsheet, and the mark the export puts before them.
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA_GUARD = "'"


def _field(model, name: str):
    return model._meta.get_field(name)


# Text cells: the column each is stored in (its length), and whether it is one line.
TEXT_CELLS = {
    "slug": (_field(Product, "slug").max_length, True),
    "name": (_field(Product, "name").max_length, True),
    "category": (_field(Category, "name").max_length, True),
    "description": (LONG_TEXT_MAX, False),
    "material": (_field(Product, "material").max_length, True),
    "care": (LONG_TEXT_MAX, False),
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
            rows.append(
                [
                    product.slug,
                    product.name,
                    product.category.name,
                    product.status,
                    str(product.price),
                    product.description,
                    product.material,
                    product.care,
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
            reasons.append(f"{column} is longer than {limit} characters")
        if "\x00" in value:
            reasons.append(f"{column} holds a NUL character")
        elif one_line and not is_one_line(value):
            reasons.append(f"{column} must be one line, without line breaks or control characters")
    return reasons


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
            raise _BadFile(end + 1, f"The file is not readable CSV from line {end + 1}: {error}.")
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
    missing = sorted(REQUIRED - set(header))
    if missing:
        return ImportResult(
            errors=[{"line": 1, "reason": f"Missing columns: {', '.join(missing)}."}],
            products=[],
            total_rows=0,
        )
    raw_rows = records[1:]
    total = len(raw_rows)
    if total == 0:
        return ImportResult(
            errors=[{"line": 1, "reason": "The file has no rows."}], products=[], total_rows=0
        )
    statuses = {s.value for s in Product.Status}
    products: dict[str, ParsedProduct] = {}
    skus: dict[str, int] = {}
    combos: dict[tuple[str, str, str], int] = {}
    for index, (line, cells) in enumerate(raw_rows):
        if len(cells) > len(header):
            errors.append({"line": line, "reason": "More cells than columns."})
            continue
        row = {column: _unguarded(cell) for column, cell in zip(header, cells, strict=False)}
        reasons = []
        for column in sorted(REQUIRED):
            if not row.get(column):
                reasons.append(f"{column} is empty")
        reasons += _text_reasons(row)
        slug = row.get("slug", "")
        if slug and slugify(slug) != slug:
            reasons.append(
                f"slug “{_shown(slug)}” may hold only lowercase letters, digits and dashes"
            )
        try:
            price = _amount(row["price"], PRICE) if row.get("price") else None
        except ValueError:
            reasons.append(f"price “{_shown(row['price'])}” is not an amount")
            price = None
        try:
            variant_price = (
                _amount(row["variant_price"], VARIANT_PRICE) if row.get("variant_price") else None
            )
        except ValueError:
            reasons.append(f"variant_price “{_shown(row['variant_price'])}” is not an amount")
            variant_price = None
        try:
            stock = parse_int(row.get("stock") or "0", min_value=-STOCK_MAX, max_value=STOCK_MAX)
            if stock < STOCK_MIN:
                reasons.append("stock cannot be negative")
        except ValueError:
            reasons.append(
                f"stock “{_shown(row['stock'])}” is not a whole number from 0 to {STOCK_MAX}"
            )
            stock = 0
        status = row.get("status") or Product.Status.ACTIVE
        if status not in statuses:
            reasons.append(f"status must be one of {', '.join(sorted(statuses))}")
        if "|" in row.get("size", "") + row.get("colour", ""):
            reasons.append("size and colour cannot contain “|”")
        sku = row.get("sku", "").upper()
        if sku and sku in skus:
            reasons.append(f"SKU {sku} is also on line {skus[sku]}")
        combo = (slug, row.get("size", ""), row.get("colour", ""))
        if all(combo) and combo in combos:
            reasons.append(
                f"size {combo[1]} / {combo[2]} of {slug} is also on line {combos[combo]}"
            )
        fields = {
            "name": row.get("name", ""),
            "category": row.get("category", ""),
            "status": status,
            "price": price,
            "description": row.get("description", ""),
            "material": row.get("material", ""),
            "care": row.get("care", ""),
        }
        parsed = products.get(slug)
        if parsed is not None and not reasons:
            for name in ("name", "category", "price"):
                if fields[name] != parsed.fields[name]:
                    reasons.append(f"{name} differs from line {parsed.line} for the same slug")
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
                errors.append({"line": line, "reason": f"SKU {sku} belongs to product “{owner}”."})
    errors.sort(key=lambda e: e["line"])
    if progress:
        progress(total, total)
    return ImportResult(errors=errors, products=list(products.values()), total_rows=total)


@transaction.atomic
def apply_import(products: list[ParsedProduct]) -> tuple[int, int]:
    """Create or update every product and its variants; returns (created, updated)."""
    created = updated = 0
    categories = {c.name.lower(): c for c in Category.objects.all()}
    for parsed in products:
        name = parsed.fields["category"]
        category = categories.get(name.lower())
        if category is None:
            # Room for a "-<n>" when the slug is taken, within the column.
            base = (slugify(name) or "category")[: CATEGORY_SLUG_MAX - 6]
            slug, n = base, 2
            while Category.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            category = categories[name.lower()] = Category.objects.create(name=name, slug=slug)
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
