import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.fields import TranslationField
from modeltranslation.utils import build_localized_fieldname

from config.inputs import (
    SingleLineCharField,
    amount_bounds,
    bounded_formfield,
    is_one_line,
    parse_amount,
    parse_int,
)

from . import csv_io
from .images import ACCEPT, check_image, clean_image, clean_original
from .models import (
    Category,
    CategoryOldSlug,
    Product,
    ProductImage,
    ProductOldSlug,
    ShopProfile,
    StockAdjustment,
    Variant,
    size_sort_key,
)
from .services import STOCK_MAX, STOCK_MIN, VariantCell
from .slugs import slug_text, unique_slug
from .translation import CATEGORY_TEXTS, PRODUCT_TEXTS, PROFILE_TEXTS

# The owner's languages, the shop's own first (Chinese for a new shop): the order of the
# columns in every bilingual form, and the language a slug is made from.
LANGUAGE_NAMES = dict(settings.LANGUAGES)
EDIT_LANGUAGES = [
    language for language in ("zh-hans", "en") if language in settings.MODELTRANSLATION_LANGUAGES
]
SLUG_LANGUAGES = sorted(EDIT_LANGUAGES, key=lambda language: language != settings.LANGUAGE_CODE)


def columns(field: str) -> list[str]:
    """The per-language form fields of `field`, Chinese first: name_zh_hans, name_en."""
    return [build_localized_fieldname(field, language) for language in EDIT_LANGUAGES]


def translated_columns(fields) -> list[str]:
    return [column for field in fields for column in columns(field)]


def bilingual_formfield(model_field, **kwargs):
    """bounded_formfield for translation columns too: a CharField's column (name_en) is a
    generated subclass of CharField, which bounded_formfield would not make one-line."""
    if isinstance(model_field, TranslationField) and not model_field.choices:
        if type(model_field.translated_field) is models.CharField:
            kwargs.setdefault("form_class", SingleLineCharField)
    return bounded_formfield(model_field, **kwargs)


class BilingualForm(forms.ModelForm):
    """A ModelForm whose texts are edited in both languages, side by side.

    Labels name the language in itself ("Name · 简体中文", "Name · English"), each input
    carries its `lang` (right fonts, spell checking, screen reader voice), and
    `bilingual_rows` gives the template one row per text with its two fields, Chinese first.
    """

    bilingual: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.bilingual:
            label = self._meta.model._meta.get_field(field).verbose_name
            for language, column in zip(EDIT_LANGUAGES, columns(field), strict=True):
                form_field = self.fields[column]
                form_field.label = format_lazy(
                    "{} · {}", label[:1].upper() + label[1:], LANGUAGE_NAMES[language]
                )
                form_field.widget.attrs["lang"] = language
                if language != EDIT_LANGUAGES[0]:
                    form_field.help_text = ""

    def bilingual_rows(self) -> list[list]:
        return [[self[column] for column in columns(field)] for field in self.bilingual]

    def require_one_language(self, field: str, message: str) -> None:
        """At least one language's `field` given; else `message` on the first column."""
        if not any((self.cleaned_data.get(column) or "").strip() for column in columns(field)):
            first = columns(field)[0]
            if first not in self.errors:
                self.add_error(first, message)

    def name_for_slug(self, field: str = "name") -> str:
        """The name a new slug is made from: the shop's language, else the other one."""
        for language in SLUG_LANGUAGES:
            name = (self.cleaned_data.get(build_localized_fieldname(field, language)) or "").strip()
            if name:
                return name
        return ""


MAX_IMAGES_PER_UPLOAD = 12


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Several image files, each run through the image pipeline; returns CleanImage objects.

    Nothing is decoded until the whole post passed the cheap checks: first the number of files
    (at most `max_files`), then every file's size in bytes and the pixels its header declares.
    Decoding a 40 MP photo takes seconds, so a post of many big pictures must cost a header
    read each, not a decode each.
    """

    widget = MultipleFileInput(attrs={"accept": ACCEPT, "multiple": True})
    default_error_messages = {
        "too_many": gettext_lazy("Upload at most %(n)s images at a time."),
    }

    def __init__(self, *, max_files: int = MAX_IMAGES_PER_UPLOAD, renditions=True, **kwargs):
        super().__init__(**kwargs)
        self.max_files = max_files
        # False: the master only, its renditions left to a task (product photos).
        self.renditions = renditions

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [f for f in files if f]
        if not files:
            if self.required:
                raise ValidationError(_("Choose at least one image."))
            return []
        if len(files) > self.max_files:
            raise ValidationError(
                self.error_messages["too_many"] % {"n": self.max_files}, code="too_many"
            )
        self._each(check_image, files)
        return self._each(clean_image if self.renditions else clean_original, files)

    @staticmethod
    def _each(step, files) -> list:
        results, errors = [], []
        for upload in files:
            try:
                results.append(step(upload))
            except ValidationError as error:
                errors.append(f"{upload.name}: {' '.join(error.messages)}")
        if errors:
            raise ValidationError(errors)
        return results


class ImageField(forms.FileField):
    """One image through the pipeline; returns a CleanImage."""

    widget = forms.ClearableFileInput(attrs={"accept": ACCEPT})

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return clean_image(upload)


def _column(model, name: str):
    return model._meta.get_field(name)


SIZE_MAX = _column(Variant, "size").max_length
COLOUR_MAX = _column(Variant, "colour").max_length
SKU_MAX = _column(Variant, "sku").max_length
VARIANT_PRICE = amount_bounds(_column(Variant, "price"))


def _split_list(value: str, what: str) -> list[str]:
    items, seen = [], set()
    # Chinese owners separate a list with the full-width comma or the enumeration comma 、.
    for raw in value.replace("，", ",").replace("、", ",").split(","):
        item = " ".join(raw.split())
        if not item:
            continue
        if "|" in item:
            raise ValidationError(
                _("A size cannot contain “|”.")
                if what == "size"
                else _("A colour cannot contain “|”.")
            )
        if len(item) > (SIZE_MAX if what == "size" else COLOUR_MAX):
            raise ValidationError(_("“%(item)s” is too long.") % {"item": item})
        if item.lower() in seen:
            raise ValidationError(_("“%(item)s” is listed twice.") % {"item": item})
        seen.add(item.lower())
        items.append(item)
    return items


class ProductForm(BilingualForm):
    """The product with its variants as one grid: sizes down, colours across, stock in cells.

    Its texts are edited in both languages (name_zh_hans, name_en, ...); a name in one of
    them is enough. Cells are posted as `v|<size>|<colour>|stock`, `...|sku` and `...|price`.
    """

    bilingual = PRODUCT_TEXTS

    sizes = SingleLineCharField(
        label=gettext_lazy("Sizes"),
        max_length=500,
        help_text=gettext_lazy("Separated by commas, e.g. S, M, L, XL"),
        widget=forms.TextInput(attrs={"placeholder": "S, M, L"}),
    )
    colours = SingleLineCharField(
        label=gettext_lazy("Colours"),
        max_length=1000,
        help_text=gettext_lazy("Separated by commas, e.g. Navy, Oat white"),
        widget=forms.TextInput(attrs={"placeholder": "Navy, Oat white"}),
    )
    new_images = ImagesField(label=gettext_lazy("Add photos"), required=False, renditions=False)

    class Meta:
        model = Product
        formfield_callback = bilingual_formfield
        fields = [
            *translated_columns(["name"]),
            "slug",
            "category",
            "status",
            "featured",
            "price",
            *translated_columns(["description", "material", "care", "size_chart"]),
        ]
        widgets = {
            **{c: forms.Textarea(attrs={"rows": 4}) for c in columns("description")},
            **{c: forms.Textarea(attrs={"rows": 2}) for c in columns("care")},
            **{
                c: forms.Textarea(attrs={"rows": 4, "placeholder": placeholder})
                for c, placeholder in zip(
                    columns("size_chart"),
                    [
                        "尺码 | 胸围 cm | 衣长 cm\nS | 96 | 68",
                        "Size | Chest cm | Length cm\nS | 96 | 68",
                    ],
                    strict=True,
                )
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Part of the address; made from the name when empty.")
        self.fields["category"].queryset = Category.objects.all()
        self.existing: dict[tuple[str, str], Variant] = {}
        if self.instance.pk:
            variants = list(self.instance.variants.filter(is_active=True))
            self.existing = {(v.size, v.colour): v for v in variants}
            if not self.is_bound:
                sizes = sorted({v.size for v in variants}, key=size_sort_key)
                colours = sorted({v.colour for v in variants})
                self.initial["sizes"] = ", ".join(sizes)
                self.initial["colours"] = ", ".join(colours)
        self.cells: list[VariantCell] = []
        self.grid_error = ""

    # --- grid -----------------------------------------------------------------------------
    def grid_axes(self) -> tuple[list[str], list[str]]:
        """Sizes and colours as typed (bound) or as stored (unbound); never raises."""
        source = self.data if self.is_bound else None
        try:
            if source is not None:
                return (
                    _split_list(source.get("sizes", ""), "size"),
                    _split_list(source.get("colours", ""), "colour"),
                )
        except ValidationError:
            return [], []
        return (
            _split_list(self.initial.get("sizes", ""), "size"),
            _split_list(self.initial.get("colours", ""), "colour"),
        )

    def grid_rows(self) -> list[tuple[str, list[VariantCell]]]:
        """The grid for the template: one row per size, one cell per colour."""
        sizes, colours = self.grid_axes()
        by_key = {(c.size, c.colour): c for c in self.cells}
        rows = []
        for size in sizes:
            row = []
            for colour in colours:
                cell = by_key.get((size, colour))
                if cell is None:
                    cell = self._cell_from(size, colour)
                row.append(cell)
            rows.append((size, row))
        return rows

    def _cell_from(self, size: str, colour: str) -> VariantCell:
        key = f"v|{size}|{colour}"
        if self.is_bound and f"{key}|stock" in self.data:
            return VariantCell(
                size=size,
                colour=colour,
                stock=self.data.get(f"{key}|stock", "").strip(),
                sku=self.data.get(f"{key}|sku", "").strip(),
                price=self.data.get(f"{key}|price", "").strip() or None,
            )
        variant = self.existing.get((size, colour))
        if variant is not None:
            return VariantCell(size, colour, variant.stock, variant.sku, variant.price)
        return VariantCell(size, colour, 0, "", None)

    def clean_sizes(self):
        sizes = _split_list(self.cleaned_data["sizes"], "size")
        if not sizes:
            raise ValidationError(_("Give at least one size."))
        return sizes

    def clean_colours(self):
        colours = _split_list(self.cleaned_data["colours"], "colour")
        if not colours:
            raise ValidationError(_("Give at least one colour."))
        return colours

    def _name_slug_was_made_from(self, slug: str) -> str | None:
        """The stored name, when the posted slug is the stored one and was made from it: the
        owner renamed the product without choosing an address, so the address follows."""
        if not self.instance.pk or slug != self.instance.slug:
            return None
        stored = Product.objects.filter(pk=self.instance.pk).values(*columns("name")).first()
        for language in SLUG_LANGUAGES if stored else ():
            old_name = (stored[build_localized_fieldname("name", language)] or "").strip()
            if old_name:
                made = slug_text(old_name)
                if made and re.fullmatch(rf"{re.escape(made)}(-\d+)?", slug):
                    return old_name
                return None
        return None

    def clean(self):
        cleaned = super().clean()
        self.require_one_language("name", _("Give the product a name in at least one language."))
        name = self.name_for_slug()
        slug = cleaned.get("slug") or ""
        if "slug" not in self.errors and name:
            old_name = self._name_slug_was_made_from(slug) if slug else None
            if not slug or (old_name is not None and slug_text(old_name) != slug_text(name)):
                # Made from the name, in pinyin for a Chinese one, with -2, -3 if taken.
                slug = cleaned["slug"] = unique_slug(
                    name, Product, old_slugs=ProductOldSlug, exclude_pk=self.instance.pk
                )
            elif Product.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "slug", _("Another product already uses the address “%(s)s”.") % {"s": slug}
                )
            elif (
                ProductOldSlug.objects.filter(slug=slug)
                .exclude(product_id=self.instance.pk)
                .exists()
            ):
                self.add_error(
                    "slug",
                    _("“%(s)s” was the address of another product and still leads there.")
                    % {"s": slug},
                )
        sizes, colours = cleaned.get("sizes"), cleaned.get("colours")
        if not sizes or not colours:
            return cleaned
        slug = cleaned.get("slug") or "item"
        cells, skus, bad = [], {}, False
        for size in sizes:
            for colour in colours:
                cell = self._cell_from(size, colour)
                try:
                    cell.stock = parse_int(
                        str(cell.stock or "0"), min_value=STOCK_MIN, max_value=STOCK_MAX
                    )
                except ValueError:
                    cell.error = _("Stock must be a whole number from 0 to %(max)s.") % {
                        "max": STOCK_MAX
                    }
                try:
                    if cell.price not in (None, ""):
                        cell.price = parse_amount(str(cell.price), **VARIANT_PRICE)
                    else:
                        cell.price = None
                except ValueError:
                    cell.error = _("Price must be an amount such as 129.00.")
                sku = (
                    str(cell.sku or "").strip().upper()
                    or (f"{slug}-{slugify(size)}-{slugify(colour)}".upper()[:SKU_MAX])
                )
                cell.sku = sku
                if len(sku) > SKU_MAX or not is_one_line(sku):
                    cell.error = _("A SKU is one line of at most %(n)s characters.") % {
                        "n": SKU_MAX
                    }
                elif sku in skus:
                    cell.error = _("SKU %(sku)s is used twice in this grid.") % {"sku": sku}
                else:
                    # Only a well-formed SKU is looked up below: PostgreSQL cannot compare a NUL.
                    skus[sku] = cell
                bad = bad or bool(cell.error)
                cells.append(cell)
        taken = set(
            Variant.objects.filter(sku__in=list(skus))
            .exclude(product_id=self.instance.pk)
            .values_list("sku", flat=True)
        )
        for sku in taken:
            skus[sku].error = _("SKU %(sku)s belongs to another product.") % {"sku": sku}
            bad = True
        self.cells = cells
        if bad:
            self.grid_error = _("Some variant cells need attention; see the grid.")
            raise ValidationError(self.grid_error)
        cleaned["variants"] = cells
        return cleaned


class ImageAltForm(forms.Form):
    alt = SingleLineCharField(
        label=gettext_lazy("Alt text"),
        max_length=_column(ProductImage, "alt").max_length,
        required=False,
    )


class ImageUploadForm(forms.Form):
    images = ImagesField(label=gettext_lazy("Photos"), renditions=False)


class StockAdjustForm(forms.Form):
    delta = forms.IntegerField(
        label=gettext_lazy("Change"),
        help_text=gettext_lazy("+10 adds ten, -2 removes two"),
        min_value=-100_000,
        max_value=100_000,
    )
    reason = SingleLineCharField(
        label=gettext_lazy("Reason"),
        max_length=_column(StockAdjustment, "reason").max_length,
        initial="Stock count",
    )

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise ValidationError(_("A change of 0 changes nothing."))
        return delta


class ShopProfileForm(BilingualForm):
    """The shop's own texts in both languages, its contact and delivery figures, and the
    business licence and ICP number the footer shows (all optional)."""

    bilingual = PROFILE_TEXTS
    logo_upload = ImageField(label=gettext_lazy("Logo"), required=False)

    class Meta:
        model = ShopProfile
        formfield_callback = bilingual_formfield
        fields = [
            *translated_columns(PROFILE_TEXTS),
            "contact_email",
            "contact_phone",
            "currency",
            "shipping_flat_rate",
            "free_shipping_over",
            "licence_company",
            "licence_number",
            "icp_number",
        ]
        widgets = {
            **{c: forms.Textarea(attrs={"rows": 5}) for c in columns("story")},
            **{c: forms.Textarea(attrs={"rows": 4}) for c in columns("difference")},
            **{c: forms.Textarea(attrs={"rows": 2}) for c in columns("shipping_policy")},
            **{c: forms.Textarea(attrs={"rows": 2}) for c in columns("returns_policy")},
            **{c: forms.Textarea(attrs={"rows": 3}) for c in columns("bank_transfer_instructions")},
        }

    def clean(self):
        cleaned = super().clean()
        self.require_one_language("name", _("Give the shop a name in at least one language."))
        return cleaned

    def clean_licence_number(self):
        # Printed in groups on some licences, typed in lower case on phones.
        return "".join(self.cleaned_data["licence_number"].split()).upper()

    def clean_icp_number(self):
        return "".join(self.cleaned_data["icp_number"].split())

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValidationError(_("Use a three-letter ISO 4217 code such as CNY or USD."))
        return currency


class CategoryForm(BilingualForm):
    """A category's name in both languages (one is enough; each unique in its language), its
    address and its place in the list. An empty address is made from the name."""

    bilingual = CATEGORY_TEXTS

    class Meta:
        model = Category
        formfield_callback = bilingual_formfield
        fields = [*translated_columns(CATEGORY_TEXTS), "slug", "position", "hidden"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Part of the address; made from the name when empty.")

    def clean(self):
        cleaned = super().clean()
        self.require_one_language("name", _("Give the category a name in at least one language."))
        slug = cleaned.get("slug")
        name = self.name_for_slug()
        if "slug" in self.errors or not name:
            return cleaned
        if not slug:
            cleaned["slug"] = unique_slug(
                name,
                Category,
                old_slugs=CategoryOldSlug,
                exclude_pk=self.instance.pk,
                fallback="category",
            )
        elif Category.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            self.add_error(
                "slug", _("Another category already uses the address “%(s)s”.") % {"s": slug}
            )
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise ValidationError(_("The file is over 10 MB; split it into smaller files."))
        head = upload.read(4096)
        upload.seek(0)
        try:
            # UTF-8, GBK/GB18030 or UTF-16 (csv_io.decode); a character cut at byte 4096 is fine.
            text, _encoding = csv_io.decode(head, final=False)
        except csv_io.UnreadableFile as bad:
            raise ValidationError(bad.reason)
        if "\x00" in text:
            raise ValidationError(_("This is not a CSV file."))
        return upload


class CatalogueFilterForm(forms.Form):
    SORTS = [
        ("newest", gettext_lazy("Newest")),
        ("price_asc", gettext_lazy("Price: low to high")),
        ("price_desc", gettext_lazy("Price: high to low")),
        ("rating", gettext_lazy("Best rated")),
    ]
    q = SingleLineCharField(label=gettext_lazy("Search"), required=False, max_length=100)
    category = forms.SlugField(
        label=gettext_lazy("Category"),
        required=False,
        max_length=_column(Category, "slug").max_length,
    )
    size = SingleLineCharField(label=gettext_lazy("Size"), required=False, max_length=SIZE_MAX)
    colour = SingleLineCharField(
        label=gettext_lazy("Colour"), required=False, max_length=COLOUR_MAX
    )
    min_price = forms.DecimalField(
        label=gettext_lazy("Min price"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )
    max_price = forms.DecimalField(
        label=gettext_lazy("Max price"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )
    in_stock = forms.BooleanField(label=gettext_lazy("In stock only"), required=False)
    sort = forms.ChoiceField(label=gettext_lazy("Sort"), choices=SORTS, required=False)


# ----------------------------------------------------------------- the owner's list filters
class ProductFilterForm(forms.Form):
    """The owner's product list (and its CSV export): a search and a status."""

    q = SingleLineCharField(label=gettext_lazy("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", ""), *Product.Status.choices]
    )


class StockFilterForm(forms.Form):
    """The stock list: which variants (low by default) and a search."""

    SHOW = [
        ("low", gettext_lazy("Low")),
        ("sold_out", gettext_lazy("Sold out")),
        ("all", gettext_lazy("All")),
    ]
    show = forms.ChoiceField(label=gettext_lazy("Show"), required=False, choices=SHOW)
    q = SingleLineCharField(label=gettext_lazy("Search"), required=False, max_length=100)
