from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from config.inputs import (
    SingleLineCharField,
    amount_bounds,
    bounded_formfield,
    is_one_line,
    parse_amount,
    parse_int,
)

from .images import ACCEPT, check_image, clean_image
from .models import (
    Category,
    Product,
    ProductImage,
    ShopProfile,
    StockAdjustment,
    Variant,
    size_sort_key,
)
from .services import STOCK_MAX, STOCK_MIN, VariantCell

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
        "too_many": _lazy("Upload at most %(n)s images at a time."),
    }

    def __init__(self, *, max_files: int = MAX_IMAGES_PER_UPLOAD, **kwargs):
        super().__init__(**kwargs)
        self.max_files = max_files

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
        return self._each(clean_image, files)

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
    for raw in value.replace("，", ",").split(","):
        item = " ".join(raw.split())
        if not item:
            continue
        if "|" in item:
            raise ValidationError(_("A %(what)s cannot contain “|”.") % {"what": what})
        if len(item) > (SIZE_MAX if what == "size" else COLOUR_MAX):
            raise ValidationError(_("“%(item)s” is too long.") % {"item": item})
        if item.lower() in seen:
            raise ValidationError(_("“%(item)s” is listed twice.") % {"item": item})
        seen.add(item.lower())
        items.append(item)
    return items


class ProductForm(forms.ModelForm):
    """The product with its variants as one grid: sizes down, colours across, stock in cells.

    Cells are posted as `v|<size>|<colour>|stock`, `...|sku` and `...|price`.
    """

    sizes = SingleLineCharField(
        label=_lazy("Sizes"),
        max_length=500,
        help_text=_lazy("Separated by commas, e.g. S, M, L, XL"),
        widget=forms.TextInput(attrs={"placeholder": "S, M, L"}),
    )
    colours = SingleLineCharField(
        label=_lazy("Colours"),
        max_length=1000,
        help_text=_lazy("Separated by commas, e.g. Navy, Oat white"),
        widget=forms.TextInput(attrs={"placeholder": "Navy, Oat white"}),
    )
    new_images = ImagesField(label=_lazy("Add photos"), required=False)

    class Meta:
        model = Product
        formfield_callback = bounded_formfield
        fields = [
            "name",
            "slug",
            "category",
            "status",
            "featured",
            "price",
            "description",
            "material",
            "care",
            "size_chart",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "care": forms.Textarea(attrs={"rows": 2}),
            "size_chart": forms.Textarea(
                attrs={"rows": 4, "placeholder": "Size | Chest cm | Length cm\nS | 96 | 68"}
            ),
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

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.data.get("name", ""))
        if not slug:
            raise ValidationError(_("Give an address slug made of letters, digits and dashes."))
        clash = Product.objects.filter(slug=slug).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("Another product already uses the address “%(s)s”.") % {"s": slug}
            )
        return slug

    def clean(self):
        cleaned = super().clean()
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
        label=_lazy("Alt text"),
        max_length=_column(ProductImage, "alt").max_length,
        required=False,
    )


class ImageUploadForm(forms.Form):
    images = ImagesField(label=_lazy("Photos"))


class StockAdjustForm(forms.Form):
    delta = forms.IntegerField(
        label=_lazy("Change"),
        help_text=_lazy("+10 adds ten, -2 removes two"),
        min_value=-100_000,
        max_value=100_000,
    )
    reason = SingleLineCharField(
        label=_lazy("Reason"),
        max_length=_column(StockAdjustment, "reason").max_length,
        initial="Stock count",
    )

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise ValidationError(_("A change of 0 changes nothing."))
        return delta


class ShopProfileForm(forms.ModelForm):
    logo_upload = ImageField(label=_lazy("Logo"), required=False)

    class Meta:
        model = ShopProfile
        formfield_callback = bounded_formfield
        fields = [
            "name",
            "tagline",
            "story",
            "location",
            "difference",
            "shipping_policy",
            "returns_policy",
            "contact_email",
            "contact_phone",
            "currency",
            "shipping_flat_rate",
            "free_shipping_over",
            "bank_transfer_instructions",
        ]
        widgets = {
            "story": forms.Textarea(attrs={"rows": 5}),
            "difference": forms.Textarea(attrs={"rows": 4}),
            "shipping_policy": forms.Textarea(attrs={"rows": 2}),
            "returns_policy": forms.Textarea(attrs={"rows": 2}),
            "bank_transfer_instructions": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValidationError(_("Use a three-letter ISO 4217 code such as CNY or USD."))
        return currency


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_lazy("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise ValidationError(_("The file is over 10 MB; split it into smaller files."))
        head = upload.read(4096)
        upload.seek(0)
        try:
            head.decode("utf-8-sig")
        except UnicodeDecodeError:
            # A cut in the middle of a character at byte 4096 is fine; anything else is not text.
            try:
                head[:-3].decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(_("This is not a UTF-8 CSV file."))
        if b"\x00" in head:
            raise ValidationError(_("This is not a CSV file."))
        return upload


class CatalogueFilterForm(forms.Form):
    SORTS = [
        ("newest", _lazy("Newest")),
        ("price_asc", _lazy("Price: low to high")),
        ("price_desc", _lazy("Price: high to low")),
        ("rating", _lazy("Best rated")),
    ]
    q = SingleLineCharField(label=_lazy("Search"), required=False, max_length=100)
    category = forms.SlugField(
        label=_lazy("Category"),
        required=False,
        max_length=_column(Category, "slug").max_length,
    )
    size = SingleLineCharField(label=_lazy("Size"), required=False, max_length=SIZE_MAX)
    colour = SingleLineCharField(label=_lazy("Colour"), required=False, max_length=COLOUR_MAX)
    min_price = forms.DecimalField(
        label=_lazy("Min price"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    max_price = forms.DecimalField(
        label=_lazy("Max price"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    in_stock = forms.BooleanField(label=_lazy("In stock only"), required=False)
    sort = forms.ChoiceField(label=_lazy("Sort"), choices=SORTS, required=False)


# ----------------------------------------------------------------- the owner's list filters
class ProductFilterForm(forms.Form):
    """The owner's product list (and its CSV export): a search and a status."""

    q = SingleLineCharField(label=_lazy("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_lazy("Status"), required=False, choices=[("", ""), *Product.Status.choices]
    )


class StockFilterForm(forms.Form):
    """The stock list: which variants (low by default) and a search."""

    SHOW = [("low", _lazy("Low")), ("sold_out", _lazy("Sold out")), ("all", _lazy("All"))]
    show = forms.ChoiceField(label=_lazy("Show"), required=False, choices=SHOW)
    q = SingleLineCharField(label=_lazy("Search"), required=False, max_length=100)
