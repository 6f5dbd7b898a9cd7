from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .storage import private_storage, random_name

# The order sizes are shown in; unknown sizes (e.g. "38") sort after these, by text.
SIZE_ORDER = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "ONE SIZE"]


def size_sort_key(size: str) -> tuple[int, str]:
    upper = size.upper()
    if upper in SIZE_ORDER:
        return (SIZE_ORDER.index(upper), "")
    return (len(SIZE_ORDER), upper.zfill(8))


class SavedInShopLanguage(models.Model):
    """A model with texts in both languages (shop/translation.py) whose plain column
    (`name`, beside `name_zh_hans` and `name_en`) always holds the shop's own language.

    modeltranslation writes the plain column with whatever language is active during save
    (falling back to the other one when empty): an owner saving in English would leave English
    there, the next save in Chinese Chinese. Saving under LANGUAGE_CODE keeps it one thing,
    the shop-language text (or the other language when that one is empty), so the unique
    plain columns (Category.name, CannedReply.title) mean "unique as the shop shows them".
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            # A save of name_en alone (update_or_create does that) rewrites `name` too.
            from modeltranslation.translator import translator
            from modeltranslation.utils import build_localized_fieldname

            texts = translator.get_options_for_model(type(self)).fields
            kwargs["update_fields"] = set(update_fields) | {
                text
                for text in texts
                if any(
                    build_localized_fieldname(text, language) in update_fields
                    for language in settings.MODELTRANSLATION_LANGUAGES
                )
            }
        with translation.override(settings.LANGUAGE_CODE):
            super().save(*args, **kwargs)


# Unified social credit code (统一社会信用代码): 18 characters of digits and capitals without
# I, O, S, V, Z. Checked loosely (shape, not the check digit); the older 15-digit business
# registration numbers on licences issued before 2016 are accepted too.
USCC = RegexValidator(
    r"^(?:[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}|[0-9]{15})$",
    _("Give the 18-character unified social credit code (or the 15-digit licence number)."),
)
# An ICP filing (备案) or licence (许可证) number: a province's one-character name, ICP,
# 备 or 证, digits, 号, and for a filing often a site number after a dash (鄂ICP备2026000001号-1).
ICP_NUMBER = RegexValidator(
    r"^[\u4e00-\u9fff]ICP[备证][0-9]{6,12}号(?:-[0-9]{1,4})?$",
    _("Give the ICP number as filed, e.g. 鄂ICP备2026000001号-1."),
)


class ShopProfile(SavedInShopLanguage):
    """The factory itself: one row, edited by the owner."""

    name = models.CharField(_("shop name"), max_length=120, default="Our workshop")
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    story = models.TextField(_("our story"), blank=True)
    location = models.CharField(_("where we are"), max_length=200, blank=True)
    difference = models.TextField(
        _("what makes us different"), blank=True, help_text=_("One point per line.")
    )
    shipping_policy = models.TextField(_("delivery policy"), blank=True)
    returns_policy = models.TextField(_("returns policy"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, default="CNY", help_text=_("ISO 4217 code, e.g. CNY, USD.")
    )
    logo = models.ImageField(_("logo"), upload_to="shop/", blank=True)
    shipping_flat_rate = models.DecimalField(
        _("delivery cost"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    free_shipping_over = models.DecimalField(
        _("free delivery from"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("299.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Orders of at least this amount ship free. Empty: never free."),
    )
    bank_transfer_instructions = models.TextField(
        _("bank transfer instructions"),
        blank=True,
        help_text=_("Shown to buyers who choose bank transfer, with their order number."),
    )
    # What Chinese e-commerce law asks a shop to show (电子商务法 art. 15): the business
    # licence, and for a site hosted in mainland China its ICP filing number. All optional.
    licence_company = models.CharField(
        _("company name on the business licence"), max_length=120, blank=True
    )
    licence_number = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[USCC],
        help_text=_("The 18-character code on the business licence."),
    )
    icp_number = models.CharField(
        _("ICP filing number"),
        max_length=40,
        blank=True,
        validators=[ICP_NUMBER],
        help_text=_(
            "E.g. 鄂ICP备2026000001号-1; shown in the footer, linked to the MIIT register."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop profile")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> "ShopProfile":
        profile = cls.objects.order_by("pk").first()
        if profile is None:
            profile = cls.objects.create()
        return profile

    @property
    def names_in_other_languages(self) -> list[tuple[str, str]]:
        """(language, name) for each language whose name differs from the one shown now: a
        factory known as 景和制衣 and as Jinghe Garment Works signs with both."""
        shown = self.name
        others = []
        for language in settings.MODELTRANSLATION_LANGUAGES:
            name = getattr(self, f"name_{language.replace('-', '_')}") or ""
            if name and name != shown:
                others.append((language, name))
        return others

    @property
    def difference_points(self) -> list[str]:
        return [line.strip() for line in self.difference.splitlines() if line.strip()]


class Category(SavedInShopLanguage):
    # Unique in each language (name_zh_hans, name_en: NULL when empty) and as the shop shows
    # it (this plain column, see SavedInShopLanguage).
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Hidden: left out of the catalogue's filters and the product pages' category link, while
    # its garments stay on sale at their addresses (a season's category put away, say). A
    # database default too: rows written by code that predates the column stay valid.
    hidden = models.BooleanField(
        _("hidden"),
        default=False,
        db_default=False,
        help_text=_("Left out of the shop's filters and links; its garments stay on sale."),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status=Product.Status.ACTIVE)


class Product(SavedInShopLanguage):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=180, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    featured = models.BooleanField(_("featured on the home page"), default=False)
    price = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    description = models.TextField(_("description"), blank=True)
    material = models.CharField(_("material"), max_length=200, blank=True)
    care = models.TextField(_("care"), blank=True)
    size_chart = models.TextField(
        _("size chart"),
        blank=True,
        help_text=_("One row per line, cells separated by |. The first line is the header."),
    )
    # Kept by the reviews app in the same transaction as any review change; here so the
    # catalogue can sort by rating without a join.
    rating_count = models.PositiveIntegerField(default=0)
    rating_mean = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    rating_rank = models.FloatField(default=0, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "price"]),
            models.Index(fields=["status", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product_detail", args=[self.slug])

    def get_manage_url(self) -> str:
        return reverse("shop_manage:product_edit", args=[self.pk])

    @property
    def size_chart_rows(self) -> list[list[str]]:
        return [
            [cell.strip() for cell in line.split("|")]
            for line in self.size_chart.splitlines()
            if line.strip()
        ]


class OldSlug(models.Model):
    """A slug a product or category had before its name (and so its slug) changed: the old
    address answers with a permanent redirect to the new one. Abstract: one table each."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.slug


class ProductOldSlug(OldSlug):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=180, unique=True, allow_unicode=False)


class CategoryOldSlug(OldSlug):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=80, unique=True)


class Variant(models.Model):
    """One size x colour of a product, with its own stock (never below zero)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    size = models.CharField(_("size"), max_length=20)
    colour = models.CharField(_("colour"), max_length=40)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    price = models.DecimalField(
        _("own price"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Leave empty to use the product's price."),
    )
    stock = models.IntegerField(_("stock"), default=0, validators=[MinValueValidator(0)])
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="variant_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="variant_price_not_negative"
            ),
            models.UniqueConstraint(
                fields=["product", "size", "colour"], name="variant_unique_size_colour"
            ),
        ]
        indexes = [models.Index(fields=["size", "stock"]), models.Index(fields=["colour", "stock"])]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.size}, {self.colour})"

    @property
    def unit_price(self) -> Decimal:
        return self.price if self.price is not None else self.product.price

    @property
    def in_stock(self) -> bool:
        return self.is_active and self.stock > 0


class ProductImage(models.Model):
    """A cleaned photo (metadata dropped) with its WebP renditions, made once at upload."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    original = models.ImageField(upload_to="products/%Y/%m/")
    small = models.ImageField(upload_to="products/%Y/%m/")
    large = models.ImageField(upload_to="products/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt = models.CharField(_("alt text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.original.name

    @property
    def alt_text(self) -> str:
        return self.alt or self.product.name

    # Until the task made the renditions (a few seconds after the upload), pages show the
    # master: already cleaned, at most 2400 px, just heavier.
    @property
    def ready(self) -> bool:
        return bool(self.small and self.large)

    @property
    def small_url(self) -> str:
        return (self.small or self.original).url

    @property
    def large_url(self) -> str:
        return (self.large or self.original).url


class StockAdjustment(models.Model):
    """Every manual stock change, with who made it and why."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="adjustments")
    delta = models.IntegerField()
    stock_after = models.IntegerField()
    reason = models.CharField(max_length=200)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.variant_id} ({self.reason})"


def import_file_name(job: "ImportJob", filename: str) -> str:
    return random_name("imports", filename, extension=".csv")


class ImportJob(models.Model):
    """A CSV import run by a Celery task; all rows apply or none do."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        VALIDATING = "validating", _("Checking rows")
        APPLYING = "applying", _("Saving")
        DONE = "done", _("Done")
        FAILED = "failed", _("Nothing imported")

    # Private: a catalogue file is the owner's business, never a public download.
    file = models.FileField(upload_to=import_file_name, storage=private_storage)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # What the file was read as, shown with the result (csv_io.decode and sniff_delimiter); empty
    # until read, or when the bytes were not text.
    encoding = models.CharField(max_length=10, blank=True, default="")
    delimiter = models.CharField(max_length=1, blank=True, default="")
    created_products = models.PositiveIntegerField(default=0)
    updated_products = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.VALIDATING, self.Status.APPLYING}

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))
