"""Changes to the catalogue: each one function, one transaction, guarded."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import translation
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from config.celery import publish_on_commit
from config.inputs import int_range

from .cache import bump_catalogue_version
from .images import CleanImage, make_renditions, store_image_files
from .models import (
    Category,
    CategoryOldSlug,
    Product,
    ProductImage,
    ProductOldSlug,
    ShopProfile,
    StockAdjustment,
    Variant,
)
from .slugs import unique_slug

LANGUAGES = settings.MODELTRANSLATION_LANGUAGES

# What the stock column holds on every database the shop runs on.
STOCK_MIN, STOCK_MAX = int_range(Variant._meta.get_field("stock"))


@dataclass
class VariantCell:
    """One size x colour of a product's grid, as save_product takes it (and the form shows it)."""

    size: str
    colour: str
    stock: int | str = 0
    sku: str = ""
    price: Decimal | str | None = None
    error: str = ""


class CatalogueError(Exception):
    """A change the catalogue refuses; the message is for the person who asked."""


@transaction.atomic
def save_product(
    product: Product,
    *,
    variants: list[VariantCell],
    new_images: Iterable[CleanImage] = (),
    acting_user=None,
) -> Product:
    """Save `product` (new or existing) with exactly the variants of its grid.

    Cells become variants (created or updated by size x colour). Variants no longer in the grid
    are not deleted, since orders may point at them: they are marked not offered. Raises
    CatalogueError when the database refuses a SKU or combination (a race with another save).
    """
    try:
        with transaction.atomic():
            keep_old_slug(product)
            product.save()
            existing = {(v.size, v.colour): v for v in product.variants.all()}
            keep = set()
            for cell in variants:
                key = (cell.size, cell.colour)
                keep.add(key)
                variant = existing.get(key) or Variant(
                    product=product, size=cell.size, colour=cell.colour
                )
                variant.sku = cell.sku
                variant.stock = cell.stock
                variant.price = cell.price
                variant.is_active = True
                variant.save()
            for key, variant in existing.items():
                if key not in keep and variant.is_active:
                    variant.is_active = False
                    variant.save(update_fields=["is_active"])
    except IntegrityError as error:
        raise CatalogueError(
            _("Another save used the same SKU or size and colour just now; check and save again.")
        ) from error
    add_images(product, new_images)
    return product


def keep_old_slug(row: Product | Category) -> None:
    """Before `row` is saved with a new slug, keep its current one as an old address.

    The old address then answers a 301 to the new one (shop.views). A slug coming back (the
    row's own old one, or one another row left behind) stops being an old address, so the
    live row always wins. Call inside the transaction that saves `row`.
    """
    table, owner = (
        (ProductOldSlug, "product") if isinstance(row, Product) else (CategoryOldSlug, "category")
    )
    table.objects.filter(slug=row.slug).delete()
    if row.pk is None:
        return
    current = type(row).objects.filter(pk=row.pk).values_list("slug", flat=True).first()
    if current and current != row.slug:
        table.objects.update_or_create(slug=current, defaults={owner: row})


@transaction.atomic
def save_category(category: Category) -> Category:
    """Save a category (validated by its form), keeping its old slug as an address that
    redirects. Raises CatalogueError when a name or slug was taken by a save just now."""
    try:
        with transaction.atomic():
            keep_old_slug(category)
            category.save()
    except IntegrityError as error:
        raise CatalogueError(
            _("Another category has this name or address; choose another.")
        ) from error
    return category


@transaction.atomic
def add_images(product: Product, images: Iterable[CleanImage]) -> list[ProductImage]:
    """Store cleaned images after the product's last one; files are written once, here.

    Images cleaned without renditions (images.clean_original) get them from the
    make_product_renditions task, queued once this commits (and by its sweep if the broker
    could not take it); pages show the master meanwhile (ProductImage.small_url).
    """
    from .tasks import make_product_renditions  # tasks import services

    start = (product.images.aggregate(top=Max("position"))["top"] or 0) + 1
    created = []
    for offset, image in enumerate(images):
        row = ProductImage(product=product, position=start + offset)
        store_image_files(row, image)
        row.save()
        created.append(row)
        if not image.renditions:
            publish_on_commit(make_product_renditions, row.pk)
    return created


def make_image_renditions(image_id: int) -> bool:
    """Make a product image's renditions from its stored master, once.

    Idempotent: the row is locked while they are made, and a row that has them is left alone
    (returns False), so two runs never make two sets; a row deleted meanwhile is skipped.
    The files replace any a cut-off run left under the same names.
    """
    with transaction.atomic():
        row = ProductImage.objects.select_for_update().filter(pk=image_id).first()
        if row is None or not make_renditions(row):
            return False
        row.save(update_fields=["small", "large"])
    transaction.on_commit(bump_catalogue_version, robust=True)
    return True


def _move_and_renumber(rows: list, moved, direction: str) -> None:
    """Swap `moved` with its neighbour in `rows` (locked, in their order; "up" or else down),
    then save positions 1..n where they changed."""
    index = next(i for i, row in enumerate(rows) if row.pk == moved.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


@transaction.atomic
def move_image(image: ProductImage, direction: str) -> None:
    """Swap `image` with its neighbour ("up" or "down"); positions are renumbered 1..n."""
    images = list(ProductImage.objects.select_for_update().filter(product_id=image.product_id))
    _move_and_renumber(images, image, direction)


@transaction.atomic
def move_category(category: Category, direction: str) -> None:
    """Swap `category` with its neighbour in the shop's order ("up" or "down"); positions are
    renumbered 1..n, so equal positions (imports leave every one at 0) become a real order.

    Locks every category row, so two moves at once cannot give two categories one place.
    Raises ValueError for any other direction.
    """
    if direction not in ("up", "down"):
        raise ValueError(direction)
    rows = list(Category.objects.select_for_update().order_by("position", "name", "pk"))
    _move_and_renumber(rows, category, direction)


FILE_FIELDS = ("original", "small", "large")


def _file_names(image: ProductImage) -> set[str]:
    return {getattr(image, field).name for field in FILE_FIELDS} - {""}


@transaction.atomic
def delete_image(image: ProductImage) -> None:
    """Remove the image row and, once that is committed, its files (master and renditions).

    Files another row still names are kept: copies made before duplicates got their own files
    share them. A rollback keeps the files, since they are deleted only after the commit.
    """
    names = _file_names(image)
    storage = image.original.storage
    image.delete()
    still_used = Q()
    for field in FILE_FIELDS:
        still_used |= Q(**{f"{field}__in": names})
    for row in ProductImage.objects.filter(still_used):
        names -= _file_names(row)

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files, robust=True)


def _copy_file(field_file) -> str:
    """A copy of a stored file under a new random name; returns that name (the same name when
    the file is missing: there is nothing to share then)."""
    if not field_file.name or not field_file.storage.exists(field_file.name):
        return field_file.name
    suffix = Path(field_file.name).suffix
    folder = Path(field_file.name).parent.as_posix()
    with field_file.open("rb") as handle:
        return field_file.storage.save(f"{folder}/{uuid.uuid4().hex}{suffix}", handle)


@transaction.atomic
def duplicate_product(product: Product, *, acting_user=None) -> Product:
    """Copy a product as a draft with its variants (new SKUs, stock 0) and images (their files
    copied)."""
    slug = unique_slug(f"{product.slug}-copy", Product, old_slugs=ProductOldSlug)
    texts = {}
    for language in LANGUAGES:
        column = build_localized_fieldname("name", language)
        name = getattr(product, column)
        if name:
            # "Copy of" in the language of the name it goes before.
            with translation.override(language):
                texts[column] = _("Copy of %(name)s") % {"name": name}
        for field in ("description", "material", "care", "size_chart"):
            column = build_localized_fieldname(field, language)
            texts[column] = getattr(product, column)
    copy = Product.objects.create(
        slug=slug,
        category=product.category,
        status=Product.Status.DRAFT,
        price=product.price,
        **texts,
    )
    for variant in product.variants.filter(is_active=True):
        sku, n = f"{variant.sku}-C"[:64], 2
        while Variant.objects.filter(sku=sku).exists():
            sku, n = f"{variant.sku}-C{n}"[:64], n + 1
        Variant.objects.create(
            product=copy, size=variant.size, colour=variant.colour, sku=sku, price=variant.price
        )
    for image in product.images.all():
        # Own files, so that deleting a photo from one product never takes it from the other.
        ProductImage.objects.create(
            product=copy,
            original=_copy_file(image.original),
            small=_copy_file(image.small),
            large=_copy_file(image.large),
            width=image.width,
            height=image.height,
            alt=image.alt,
            position=image.position,
        )
    return copy


@transaction.atomic
def archive_product(product: Product, *, acting_user=None) -> Product:
    """Take a product off the catalogue; its orders and reviews stay, and so do its photos:
    they were public while it was listed and show nothing private."""
    product.status = Product.Status.ARCHIVED
    product.save(update_fields=["status", "updated_at"])
    return product


@transaction.atomic
def adjust_stock(variant: Variant, delta: int, *, reason: str, acting_user=None) -> Variant:
    """Add `delta` (may be negative) to a variant's stock, logging who and why.

    The update is conditional, so concurrent orders can never push stock below zero.
    Raises CatalogueError when the result would be negative or more than the column holds.
    """
    updated = Variant.objects.filter(
        pk=variant.pk, stock__gte=-delta, stock__lte=STOCK_MAX - delta
    ).update(stock=F("stock") + delta)
    if not updated:
        variant.refresh_from_db(fields=["stock"])
        if delta > 0:
            raise CatalogueError(_("Stock cannot go above %(n)s.") % {"n": STOCK_MAX})
        raise CatalogueError(
            _("Only %(stock)s in stock: cannot remove %(n)s.")
            % {"stock": variant.stock, "n": -delta}
        )
    variant.refresh_from_db(fields=["stock"])
    StockAdjustment.objects.create(
        variant=variant,
        delta=delta,
        stock_after=variant.stock,
        reason=reason,
        acting_user=acting_user,
    )
    transaction.on_commit(bump_catalogue_version, robust=True)
    return variant


@transaction.atomic
def update_shop_profile(profile: ShopProfile, *, logo: CleanImage | None = None) -> ShopProfile:
    """Save the profile (already validated by its form) and, if given, the new logo."""
    if logo is not None:
        profile.logo.save(
            logo.renditions[min(logo.renditions)].name,
            logo.renditions[min(logo.renditions)],
            save=False,
        )
    profile.save()
    return profile
