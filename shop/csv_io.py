"""Products with variants as CSV: one row per variant, product fields repeated on each row.

An import checks every row first and applies nothing if any row is bad; the report names each
bad row by its line number in the file (the header is line 1).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.text import slugify

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
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])


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


def _decimal(value: str) -> Decimal:
    amount = Decimal(value.replace(",", ""))
    if (
        not amount.is_finite()
        or amount < 0
        or amount >= Decimal("1e8")
        or amount.as_tuple().exponent < -2
    ):
        raise InvalidOperation
    return amount


def parse_import(
    text: str, *, progress: Callable[[int, int], None] | None = None, every: int = 200
) -> ImportResult:
    """Check every row of `text`; return the products to apply or every bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    errors: list[dict] = []
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = sorted(REQUIRED - set(header))
    if missing:
        return ImportResult(
            errors=[{"line": 1, "reason": f"Missing columns: {', '.join(missing)}."}],
            products=[],
            total_rows=0,
        )
    reader.fieldnames = header
    raw_rows = list(reader)
    total = len(raw_rows)
    if total == 0:
        return ImportResult(
            errors=[{"line": 1, "reason": "The file has no rows."}], products=[], total_rows=0
        )
    statuses = {s.value for s in Product.Status}
    products: dict[str, ParsedProduct] = {}
    skus: dict[str, int] = {}
    combos: dict[tuple[str, str, str], int] = {}
    for index, raw in enumerate(raw_rows):
        line = reader_line = index + 2
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if None in raw:
            errors.append({"line": line, "reason": "More cells than columns."})
            continue
        reasons = []
        for column in sorted(REQUIRED):
            if not row.get(column):
                reasons.append(f"{column} is empty")
        slug = row.get("slug", "")
        if slug and slugify(slug) != slug:
            reasons.append(f"slug “{slug}” may hold only lowercase letters, digits and dashes")
        try:
            price = _decimal(row["price"]) if row.get("price") else None
        except (InvalidOperation, ValueError):
            reasons.append(f"price “{row['price']}” is not an amount")
            price = None
        try:
            variant_price = _decimal(row["variant_price"]) if row.get("variant_price") else None
        except (InvalidOperation, ValueError):
            reasons.append(f"variant_price “{row['variant_price']}” is not an amount")
            variant_price = None
        try:
            stock = int(row["stock"]) if row.get("stock") else 0
            if stock < 0:
                reasons.append("stock cannot be negative")
        except ValueError:
            reasons.append(f"stock “{row['stock']}” is not a whole number")
            stock = 0
        status = row.get("status") or Product.Status.ACTIVE
        if status not in statuses:
            reasons.append(f"status must be one of {', '.join(sorted(statuses))}")
        for column, limit in (
            ("name", 160),
            ("size", 20),
            ("colour", 40),
            ("sku", 64),
            ("category", 80),
        ):
            if len(row.get(column, "")) > limit:
                reasons.append(f"{column} is longer than {limit} characters")
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
                parsed = products[slug] = ParsedProduct(slug=slug, line=reader_line, fields=fields)
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
            slug, n = slugify(name) or "category", 2
            while Category.objects.filter(slug=slug).exists():
                slug, n = f"{slugify(name) or 'category'}-{n}", n + 1
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
