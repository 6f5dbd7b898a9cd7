"""Reads shared by the shop's views; each costs a fixed number of queries."""

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from modeltranslation.utils import build_localized_fieldname

from .cache import KeptPerVersion, catalogue_version
from .catalogue_index import current_index
from .models import Category, Product, ProductImage, Variant, size_sort_key


def in_any_language(q: str, *fields: str, prefix: str = "") -> Q:
    """`q` contained in any of `fields`, in either language's column.

    modeltranslation rewrites `name__icontains` to the visitor's language only, so a product
    named only in Chinese would be invisible to an English page searching 衬衫. Naming both
    columns finds it whatever the interface language.

    Measured on PostgreSQL 15 (3,000 active products, half named in Chinese only, Chinese
    descriptions of ~80 characters; EXPLAIN ANALYZE, median of 7). Django writes each arm as
    UPPER(col::text) LIKE UPPER('%衬衫%'), six arms ORed.
    - No index: the catalogue page and its count read every row, 13-22 ms per query whatever
      is searched (a frequent word stops early on the created_at index: 0.5 ms).
    - GIN trigram indexes on UPPER() of the six columns, database locale C.UTF-8 (glibc
      classes CJK as letters, so pg_trgm makes trigrams of them): a 3+ character query
      (亚麻衬衫, 法兰绒衬衫) counts in 0.2 ms instead of ~20; a 2-character one (衬衫, T恤),
      the usual Chinese garment search, has no whole trigram to look up and still scans
      (19-22 ms for the count).
    - Database locale C: show_trgm('衬衫') is empty, pg_trgm ignores CJK altogether and the
      indexes serve Latin words only.
    So no trigram index here: it helps only long queries and only with a UTF-8 locale, costs
    six GIN updates per product save, and a factory's catalogue scans in ~20 ms. Full-text
    search (to_tsvector) is no better: the default parsers do not split Chinese into words.
    A catalogue of tens of thousands would want GIN trigram indexes on the name columns
    (and the 3+ character gain) or a Chinese word splitter (zhparser, pg_jieba).
    """
    condition = Q()
    for field in fields:
        for language in settings.MODELTRANSLATION_LANGUAGES:
            column = build_localized_fieldname(field, language)
            condition |= Q(**{f"{prefix}{column}__icontains": q})
    return condition


def catalogue_products(filters: dict) -> QuerySet[Product]:
    """Active products matching `filters` (cleaned CatalogueFilterForm data), sorted.

    Images and offered variants are prefetched, so a page costs three queries plus the count.
    """
    products = Product.objects.visible().select_related("category")
    q = (filters.get("q") or "").strip()
    if q:
        products = products.filter(in_any_language(q, "name", "description", "material"))
    if filters.get("category"):
        products = products.filter(category__slug=filters["category"])
    variant_filter = Q(product=OuterRef("pk"), is_active=True)
    if filters.get("size"):
        variant_filter &= Q(size=filters["size"])
    if filters.get("colour"):
        variant_filter &= Q(colour=filters["colour"])
    if filters.get("in_stock"):
        variant_filter &= Q(stock__gt=0)
    if filters.get("size") or filters.get("colour") or filters.get("in_stock"):
        products = products.filter(Exists(Variant.objects.filter(variant_filter)))
    if filters.get("min_price") is not None:
        products = products.filter(price__gte=filters["min_price"])
    if filters.get("max_price") is not None:
        products = products.filter(price__lte=filters["max_price"])
    order = {
        "price_asc": ["price", "-id"],
        "price_desc": ["-price", "-id"],
        "rating": ["-rating_rank", "-rating_count", "-id"],
    }.get(filters.get("sort") or "newest", ["-created_at", "-id"])
    return products.order_by(*order).prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch(
            "variants",
            queryset=Variant.objects.filter(is_active=True).only(
                "id", "product_id", "size", "colour", "stock", "is_active"
            ),
            to_attr="offered_variants",
        ),
    )


def sizes_in_stock(product: Product) -> list[str]:
    """Sizes with at least one colour in stock, in size order (uses the prefetched variants)."""
    sizes = {v.size for v in product.offered_variants if v.stock > 0}
    return sorted(sizes, key=size_sort_key)


def catalogue_facets() -> dict:
    """The choices the filter form offers: categories, sizes and colours on sale.

    Sizes and colours come from the process's catalogue index (shop.catalogue_index), which
    read the variants once for this catalogue version; one query for the categories."""
    index = current_index()
    if index is None:  # the cache cannot tell the version: ask PostgreSQL
        offered = Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
        sizes = sorted(set(offered.values_list("size", flat=True).distinct()), key=size_sort_key)
        colours = sorted(set(offered.values_list("colour", flat=True).distinct()))
    else:
        sizes, colours = list(index.sizes), list(index.colours)
    categories = list(Category.objects.filter(hidden=False))
    return {"categories": categories, "sizes": sizes, "colours": colours}


def catalogue_page(filters: dict, page_number: int) -> tuple[Page, list[SafeString]]:
    """One page of the catalogue for `filters`: the paginator's page (of product ids) and the
    rendered card of each of its products.

    Which products, in which order: the catalogue index, in memory (no query; one for the ids
    of a text search). The cards: cached per product, catalogue version and language, so a
    filter nobody asked before costs one cache round trip for its cards; the cards missing are
    rendered from three queries (products, images, variants). Without the index (the cache
    cannot tell the version), catalogue_products() as before.
    """
    index = current_index()
    if index is None:
        page = Paginator(catalogue_products(filters), settings.CATALOGUE_PAGE_SIZE).get_page(
            page_number
        )
        return page, [mark_safe(c) for c in _render_cards(page.object_list).values()]  # noqa: S308
    among = None
    q = (filters.get("q") or "").strip()
    if q:
        found = Product.objects.visible().filter(
            in_any_language(q, "name", "description", "material")
        )
        among = set(found.values_list("id", flat=True))
    ids = index.matching(filters, among)
    page = Paginator(ids, settings.CATALOGUE_PAGE_SIZE).get_page(page_number)
    return page, product_cards(list(page.object_list))


def _card_key(pk: int, version: int, language: str) -> str:
    return f"catalogue:card:{version}:{language}:{pk}"


# The cards of the current catalogue version, per language, in this process too (shop.cache):
# a filter nobody asked before shows 24 cards that other answers have shown, and reading them
# from Redis was a round trip and 24 unpicklings per answer. At most CARDS_KEPT per language
# (about 700 bytes each: 7 MB for the 10,000 products of the benchmark's shop).
_kept_cards = KeptPerVersion()
CARDS_KEPT = 10_000


def product_cards(ids: list[int]) -> list[SafeString]:
    """The catalogue card of each product in `ids`, in that order (see catalogue_page)."""
    version, language = catalogue_version(), get_language()
    kept = _kept_cards.get(language)
    if kept is None:
        kept = {}
        _kept_cards.put(language, kept)  # kept only while the version can be told
    cards = {pk: kept[pk] for pk in ids if pk in kept}
    asked = [pk for pk in ids if pk not in cards]
    if asked:
        keys = {_card_key(pk, version, language): pk for pk in asked}
        cards.update((keys[key], html) for key, html in cache.get_many(list(keys)).items())
        missing = [pk for pk in asked if pk not in cards]
        if missing:
            rendered = _render_cards(catalogue_products({}).filter(pk__in=missing))
            cache.set_many(
                {_card_key(pk, version, language): html for pk, html in rendered.items()},
                settings.CATALOGUE_CACHE_SECONDS,
            )
            cards.update(rendered)
        for pk in asked:
            if pk in cards and len(kept) < CARDS_KEPT:
                kept[pk] = cards[pk]
    # A product hidden since the index was built has no card: it is left out of this page.
    return [mark_safe(cards[pk]) for pk in ids if pk in cards]  # noqa: S308 (our cards)


def _render_cards(products) -> dict[int, str]:
    """Cards of `products` (with their images and offered variants prefetched) by id, in their
    order, rendered with no request: a card shows the product and the shop's currency, nothing
    of the visitor."""
    template = get_template("shop/_product_card.html")
    shop = _shop_profile()
    cards = {}
    for product in products:
        product.sizes_available = sizes_in_stock(product)
        cards[product.pk] = template.render({"product": product, "shop": shop})
    return cards


def _shop_profile():
    from .context_processors import shop

    return shop(None)["shop"]


def product_for_page(slug: str) -> Product:
    """An active product with images and offered variants; raises Product.DoesNotExist."""
    return (
        Product.objects.visible()
        .select_related("category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True),
                to_attr="offered_variants",
            ),
        )
        .get(slug=slug)
    )


def variant_picker(product: Product) -> list[dict]:
    """Colours, each with every size the product comes in; sold-out sizes marked."""
    variants = product.offered_variants
    sizes = sorted({v.size for v in variants}, key=size_sort_key)
    colours = sorted({v.colour for v in variants})
    by_key = {(v.colour, v.size): v for v in variants}
    picker = []
    for colour in colours:
        options = []
        for size in sizes:
            variant = by_key.get((colour, size))
            options.append(
                {"size": size, "variant": variant, "available": bool(variant and variant.stock > 0)}
            )
        picker.append({"colour": colour, "options": options})
    return picker


def products_for_owner(filters: dict) -> QuerySet[Product]:
    """The owner's product list (cleaned ProductFilterForm data), newest change first."""
    products = (
        Product.objects.select_related("category")
        .annotate(
            stock_total=Sum("variants__stock", filter=Q(variants__is_active=True)),
            variant_count=Count("variants", filter=Q(variants__is_active=True)),
        )
        .order_by("-updated_at", "-id")
    )
    q = filters.get("q")
    if q:
        products = products.filter(
            in_any_language(q, "name")
            | Q(slug__icontains=q)
            | Q(variants__sku__icontains=q.upper())
        ).distinct()
    if filters.get("status"):
        products = products.filter(status=filters["status"])
    return products


def variants_for_stock(filters: dict, *, low: int) -> QuerySet[Variant]:
    """The stock list (cleaned StockFilterForm data): offered variants, fewest first."""
    variants = (
        Variant.objects.filter(is_active=True)
        .select_related("product")
        .exclude(product__status=Product.Status.ARCHIVED)
        .order_by("stock", "product__name", "size", "colour")
    )
    show = filters.get("show") or "low"
    if show == "sold_out":
        variants = variants.filter(stock=0)
    elif show == "low":
        variants = variants.filter(stock__lte=low)
    q = filters.get("q")
    if q:
        variants = variants.filter(
            in_any_language(q, "name", prefix="product__") | Q(sku__icontains=q.upper())
        )
    return variants
