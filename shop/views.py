import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from config.inputs import page_number as parse_page

from . import catalogue_frame
from .cache import FEW_LEFT, KeptPerVersion, catalogue_version
from .context_processors import shop_profile
from .forms import CatalogueFilterForm
from .i18n import format_money
from .models import Category, CategoryOldSlug, Product, ProductOldSlug
from .page_cache import cache_public_page, store_with_page
from .personal import rendering_for_cache
from .sections import product_page
from .selectors import (
    catalogue_facets,
    catalogue_page,
    catalogue_products,
    product_for_page,
    sizes_in_stock,
    variant_picker,
)


@cache_public_page()
def home(request):
    featured = list(catalogue_products({"sort": "newest"}).filter(featured=True)[:8])
    if len(featured) < 4:
        featured = list(catalogue_products({"sort": "newest"})[:8])
    for product in featured:
        product.sizes_available = sizes_in_stock(product)
    totals = Product.objects.visible().aggregate(
        garments=Count("id"),
        reviews=Sum("rating_count"),
        weighted=Sum(F("rating_mean") * F("rating_count")),
    )
    review_count = totals["reviews"] or 0
    figures = {
        "garments": totals["garments"],
        "review_count": review_count,
        "mean": round(totals["weighted"] / review_count, 1) if review_count else None,
    }
    return render(request, "shop/home.html", {"featured": featured, "figures": figures})


def _catalogue_key(params: dict, page_number: int) -> str:
    canonical = urlencode(
        sorted((k, str(v)) for k, v in params.items() if v not in (None, "", False))
    )
    digest = hashlib.blake2b(f"{canonical}&page={page_number}".encode(), digest_size=16).hexdigest()
    # Per language: the grid holds the products' names in the visitor's language.
    return f"catalogue:grid:{catalogue_version()}:{get_language()}:{digest}"


# The filters a chip shows, in the form's order; sort orders the grid and is kept, not a chip.
CHIP_FILTERS = ("q", "category", "size", "colour", "min_price", "max_price", "in_stock")


def _query(filters: dict, *, without: str = "") -> str:
    """The catalogue's address for `filters` less `without`: "?size=M" (or "" for none)."""
    return _query_of(_encoded(filters), without)


def _encoded(filters: dict) -> dict[str, str]:
    """Each filter set, as it goes in an address ("size=M"), in the filters' order."""
    return {
        name: urlencode([(name, "on" if value is True else str(value))])
        for name, value in filters.items()
        if value not in (None, "", False)
    }


def _query_of(encoded: dict[str, str], without: str) -> str:
    pairs = [pair for name, pair in encoded.items() if name != without]
    return f"?{'&'.join(pairs)}" if pairs else ""


def _filter_chips(filters: dict, facets: "_Facets") -> list[SafeString]:
    """The active filters as chips: what each says, and a link to the same list without it (a
    plain link, so that removing one works without JavaScript; htmx swaps only the grid).

    Written here rather than by a template included per chip: a never-seen filter renders its
    grid on every request, and the include and blocktranslate of each chip were a tenth of it.
    """
    form = CatalogueFilterForm
    base = reverse("shop:product_list")
    remove = escape(gettext("Remove filter"))
    encoded = _encoded(filters)  # once: each chip's link leaves one of them out
    chips = []
    for name in CHIP_FILTERS:
        value = filters.get(name)
        if value in (None, "", False):
            continue
        label = escape(form.base_fields[name].label)
        if name == "category":
            value = facets.category_name(value)
        elif name in ("min_price", "max_price"):
            value = format_money(value, shop_profile().currency)
        # As {% blocktranslate %} does: the values escaped, the translation as it is.
        text = label
        if value is not True:
            text = gettext("%(label)s: %(value)s") % {"label": label, "value": escape(value)}
        url = escape(base + _query_of(encoded, name))
        chips.append(
            mark_safe(  # noqa: S308 (every value above is escaped)
                f'<li><a class="chip" href="{url}" hx-get="{url}" hx-target="#product-grid" '
                f'hx-swap="outerHTML" hx-push-url="true"><span class="visually-hidden">{remove} '
                f'</span>{text} <span aria-hidden="true">×</span></a></li>\n'
            )
        )
    return chips


# The facets of the current catalogue version, in this process too (shop.cache).
_kept = KeptPerVersion()


class _Facets:
    """The filter form's choices (catalogue_facets), cached per catalogue version, read from
    the cache only when the answer needs them: the grid of a cached page does not."""

    def __init__(self):
        self._value = None

    @property
    def value(self) -> dict:
        if self._value is None:
            self._value = _kept.get("facets")
        if self._value is None:
            key = f"catalogue:facets:{catalogue_version()}"
            self._value = cache.get(key)
            if self._value is None:
                self._value = catalogue_facets()
                cache.set(key, self._value, settings.CATALOGUE_CACHE_SECONDS)
            _kept.put("facets", self._value)
        return self._value

    def listed(self, slug: str) -> Category | None:
        return next((c for c in self.value["categories"] if c.slug == slug), None)

    def category_name(self, slug: str) -> str:
        # A listed category's name without a query; a hidden one (or junk) is looked up.
        category = self.listed(slug) or Category.objects.filter(slug=slug).first()
        return category.name if category else slug


def _moved_category(request, slug: str | None, facets: _Facets):
    """A 301 to the same list under the category's new slug when `slug` is an old one."""
    # One query, only for a filtered list whose category is not a listed one. A live category
    # never has its slug in the old table (shop.services.keep_old_slug removes it when a row
    # takes the slug again), so a listed slug needs no look-up.
    if not slug or facets.listed(slug) is not None:
        return None
    new_slug = (
        CategoryOldSlug.objects.filter(slug=slug).values_list("category__slug", flat=True).first()
    )
    if new_slug is None:
        return None
    query = request.GET.copy()
    query["category"] = new_slug
    return HttpResponsePermanentRedirect(f"{request.path}?{query.urlencode()}")


@require_GET
@cache_public_page(params=(*CatalogueFilterForm.base_fields, "page"))
@vary_on_headers("HX-Request")
def product_list(request):
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    facets = _Facets()
    moved = _moved_category(request, filters.get("category"), facets)
    if moved is not None:
        return moved
    # A number, so that junk page values share one cached grid rather than one each.
    page_number = parse_page(request.GET.get("page"))
    key = _catalogue_key(filters, page_number)
    grid_html = cache.get(key)
    if grid_html is None:
        page, cards = catalogue_page(filters, page_number)
        query = request.GET.copy()
        query.pop("page", None)
        sort = {"sort": filters["sort"]} if filters.get("sort") else {}
        # No request: the grid shows nothing of the visitor (and needs no context processor).
        grid_html = render_to_string(
            "shop/product_list.html#product-grid",
            {
                "page": page,
                "cards_html": mark_safe("".join(cards)),  # noqa: S308 (our cached cards)
                "query": query.urlencode(),
                "filters": filters,
                "chips": _filter_chips(filters, facets),
                "clear_url": reverse("shop:product_list") + _query(sort),
                "shop": shop_profile(),
            },
        )
        store_with_page(request, key, grid_html, settings.CATALOGUE_CACHE_SECONDS)
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(grid_html)
    if rendering_for_cache(request) and not form.errors:
        # For everybody (the page cache stores it): the frame around the grid, filled.
        stored = catalogue_frame.frame(request, facets.value)
        if stored is not None:
            return HttpResponse(catalogue_frame.fill(stored, request, form, filters, grid_html))
    return render(
        request,
        "shop/product_list.html",
        {"form": form, "grid_html": grid_html, "facets": facets.value, "filters": filters},
    )


@require_GET
@cache_public_page(params=product_page.params, htmx_targets=product_page.htmx_targets)
@vary_on_headers("HX-Request", "HX-Target")
def product_detail(request, slug: str):
    """The product page (DESIGN: /products/<slug>/), with the parts higher apps register in
    shop.sections.product_page: the reviews app's summary, review list and JSON-LD."""
    if product_page.wants_fragment(request):
        # A part's htmx fragment (filtering or paging the reviews): no images or variants.
        product = get_object_or_404(Product.objects.visible(), slug=slug)
        return product_page.fragment(request, product)
    try:
        product = product_for_page(slug)
    except Product.DoesNotExist:
        old = ProductOldSlug.objects.filter(slug=slug, product__status=Product.Status.ACTIVE)
        new_slug = old.values_list("product__slug", flat=True).first()
        if new_slug is None:
            raise Http404("No such product.")
        # The product was renamed: links and search engines keep the old address.
        return HttpResponsePermanentRedirect(Product(slug=new_slug).get_absolute_url())
    context = {
        "product": product,
        "images": list(product.images.all()),
        "picker": variant_picker(product),
        "total_stock": sum(v.stock for v in product.offered_variants),
        "few_left": FEW_LEFT,
        **product_page.render_context(request, product),
    }
    return render(request, "shop/product_detail.html", context)
