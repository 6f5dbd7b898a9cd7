"""The owner's catalogue pages under /manage/: products, images, stock, profile, CSV."""

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OWNER, SUPPORT
from accounts.permissions import owner_required, role_required
from config.celery import publish_on_commit
from config.inputs import safe_next

from . import services
from .cache import VERSION_KEY, cached_figures
from .csv_io import COLUMNS, export_rows, write_csv
from .forms import (
    CategoryForm,
    ImageAltForm,
    ImageUploadForm,
    ImportForm,
    ProductFilterForm,
    ProductForm,
    ShopProfileForm,
    StockAdjustForm,
    StockFilterForm,
)
from .models import Category, ImportJob, Product, ProductImage, ShopProfile, Variant
from .sections import manage_today
from .selectors import products_for_owner, variants_for_stock
from .staff_cache import cache_staff_page
from .tasks import import_products

LOW_STOCK = 3


def _catalogue_figures() -> dict:
    # Orders bump the catalogue version whenever a variant they touch holds FEW_LEFT units or
    # fewer, so "sold out" and "low" (LOW_STOCK <= FEW_LEFT) are never stale.
    in_stock = Variant.objects.filter(product=OuterRef("pk"), is_active=True, stock__gt=0)
    active = Q(status=Product.Status.ACTIVE)
    figures = Product.objects.annotate(in_stock=Exists(in_stock)).aggregate(
        active=Count("id", filter=active),
        draft=Count("id", filter=Q(status=Product.Status.DRAFT)),
        out_of_stock=Count("id", filter=active & Q(in_stock=False)),
    )
    offered = Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
    figures.update(
        offered.aggregate(
            sold_out=Count("id", filter=Q(stock=0)),
            low=Count("id", filter=Q(stock__gt=0, stock__lte=LOW_STOCK)),
        )
    )
    return figures


@role_required(OWNER, SUPPORT)
@cache_staff_page(depends=manage_today.depends)
def dashboard(request):
    """Today's work first (each app's items through shop.sections.manage_today, one query
    each), then the catalogue's figures: a fixed number of queries whatever the shop holds.
    Every part's figures are cached until what they count changes (shop.cache.cached_figures)."""
    figures = cached_figures("catalogue", _catalogue_figures, depends=(VERSION_KEY,))
    return render(
        request,
        "manage/dashboard.html",
        {"figures": figures, **manage_today.render_context(request, None)},
    )


def _filters(form_class, request) -> tuple:
    """A list's filter form and its clean values ({} when any value is refused)."""
    form = form_class(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


@owner_required
def product_list(request):
    form, filters = _filters(ProductFilterForm, request)
    page = Paginator(products_for_owner(filters), 50).get_page(request.GET.get("page"))
    template = "manage/product_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#product-table"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "q": filters.get("q", ""),
            "status": filters.get("status", ""),
            "statuses": Product.Status.choices,
        },
    )


def _product_form_response(request, form, product=None, status=200):
    template = "manage/product_form.html"
    if request.htmx and request.POST.get("_regrid"):
        template += "#variant-grid"
    images = list(product.images.all()) if product else []
    return render(
        request,
        template,
        {"form": form, "product": product, "images": images, "upload_form": ImageUploadForm()},
        status=status,
    )


def _save_product_form(request, product=None):
    form = ProductForm(request.POST or None, request.FILES or None, instance=product)
    if request.method != "POST" or request.POST.get("_regrid"):
        # "Update grid" redraws the cells for new sizes or colours without saving anything.
        return _product_form_response(request, form, product)
    if not form.is_valid():
        return _product_form_response(request, form, product, status=422)
    try:
        saved = services.save_product(
            form.save(commit=False),
            variants=form.cleaned_data["variants"],
            new_images=form.cleaned_data["new_images"],
            acting_user=request.user,
        )
    except services.CatalogueError as error:
        form.add_error(None, str(error))
        return _product_form_response(request, form, product, status=409)
    messages.success(request, _("Saved “%(name)s”.") % {"name": saved.name})
    return redirect("shop_manage:product_edit", pk=saved.pk)


@owner_required
def product_create(request):
    return _save_product_form(request)


@owner_required
def product_edit(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    return _save_product_form(request, product)


@owner_required
@require_POST
def product_duplicate(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    copy = services.duplicate_product(product, acting_user=request.user)
    messages.success(request, _("Made a draft copy. Check its SKUs and stock before publishing."))
    return redirect("shop_manage:product_edit", pk=copy.pk)


@owner_required
@require_POST
def product_archive(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    services.archive_product(product, acting_user=request.user)
    messages.success(
        request, _("Archived “%(name)s”: it no longer shows in the shop.") % {"name": product.name}
    )
    return redirect("shop_manage:product_list")


def _images_response(request, product, form=None, status=200, alt_error=None):
    if request.htmx:
        return render(
            request,
            "manage/product_form.html#image-list",
            {
                "product": product,
                "images": list(product.images.all()),
                "upload_form": form or ImageUploadForm(),
                "alt_error": alt_error,
            },
            status=status,
        )
    if form is not None and form.errors:
        for error in form.errors.get("images", []):
            messages.error(request, error)
    if alt_error:
        messages.error(request, alt_error["message"])
    return redirect(f"{product.get_manage_url()}#images")


@owner_required
@require_POST
def image_upload(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _images_response(request, product, form, status=422)
    services.add_images(product, form.cleaned_data["images"])
    return _images_response(request, product)


@owner_required
@require_POST
def image_action(request, pk: int, image_pk: int):
    product = get_object_or_404(Product, pk=pk)
    image = get_object_or_404(ProductImage, pk=image_pk, product=product)
    action = request.POST.get("action")
    if action in ("up", "down"):
        services.move_image(image, action)
    elif action == "delete":
        services.delete_image(image)
    elif action == "alt":
        form = ImageAltForm(request.POST)
        if not form.is_valid():
            error = {"image": image.pk, "message": " ".join(form.errors["alt"])}
            return _images_response(request, product, status=422, alt_error=error)
        image.alt = form.cleaned_data["alt"]
        image.save(update_fields=["alt"])
    return _images_response(request, product)


@owner_required
def category_list(request, pk: int | None = None):
    """The categories with their names in both languages; a new one or `pk` edited beside."""
    category = get_object_or_404(Category, pk=pk) if pk else None
    form = CategoryForm(request.POST or None, instance=category)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.save_category(form.save(commit=False))
            except services.CatalogueError as error:
                form.add_error(None, str(error))
                status = 409
            else:
                messages.success(request, _("Saved “%(name)s”.") % {"name": saved.name})
                return redirect("shop_manage:category_list")
        else:
            status = 422
    # The order move_category() swaps in, so up and down move the row the owner sees.
    categories = Category.objects.annotate(product_count=Count("products")).order_by(
        "position", "name", "pk"
    )
    return render(
        request,
        "manage/category_list.html",
        {"form": form, "category": category, "categories": categories},
        status=status,
    )


@owner_required
@require_POST
def category_move(request, pk: int):
    """One place up or down in the shop's order of categories (a form, so no script needed)."""
    category = get_object_or_404(Category, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose up or down."))
        return redirect("shop_manage:category_list")
    services.move_category(category, direction)
    return redirect("shop_manage:category_list")


@owner_required
def stock_list(request):
    filter_form, filters = _filters(StockFilterForm, request)
    variants = variants_for_stock(filters, low=LOW_STOCK)
    page = Paginator(variants, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "manage/stock_list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "show": filters.get("show") or "low",
            "q": filters.get("q", ""),
            "low": LOW_STOCK,
            "form": StockAdjustForm(),
        },
    )


@owner_required
@require_POST
def stock_adjust(request, variant_pk: int):
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=variant_pk)
    form = StockAdjustForm(request.POST)
    error = None
    if form.is_valid():
        try:
            variant = services.adjust_stock(
                variant,
                form.cleaned_data["delta"],
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except services.CatalogueError as exc:
            error = str(exc)
    else:
        error = " ".join(m for errs in form.errors.values() for m in errs)
    if request.htmx:
        return render(
            request,
            "manage/stock_list.html#stock-row",
            {
                "variant": variant,
                "error": error,
                "saved": error is None,
                "low": LOW_STOCK,
                "form": StockAdjustForm(),
            },
            status=200 if error is None else 422,
        )
    if error:
        messages.error(request, f"{variant.sku}: {error}")
    else:
        messages.success(
            request, _("%(sku)s now has %(n)s in stock.") % {"sku": variant.sku, "n": variant.stock}
        )
    return redirect(safe_next(request, "shop_manage:stock_list"))


@owner_required
def shop_profile(request):
    profile = ShopProfile.load()
    form = ShopProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            services.update_shop_profile(
                form.save(commit=False), logo=form.cleaned_data.get("logo_upload")
            )
            messages.success(request, _("The shop profile is saved."))
            return redirect("shop_manage:shop_profile")
        return render(
            request, "manage/shop_profile.html", {"form": form, "profile": profile}, status=422
        )
    return render(request, "manage/shop_profile.html", {"form": form, "profile": profile})


@owner_required
def product_export(request):
    products = (
        Product.objects.select_related("category")
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("size", "colour")))
        .order_by("slug")
    )
    _, filters = _filters(ProductFilterForm, request)
    if filters.get("status"):
        products = products.filter(status=filters["status"])
    out = io.StringIO()
    write_csv(export_rows(products), out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="products-{stamp}.csv"'
    return response


@owner_required
def product_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = ImportJob.objects.create(file=form.cleaned_data["file"], created_by=request.user)
        # A lost task: shop.tasks.sweep_imports. Row errors in the uploader's language.
        publish_on_commit(import_products, job.pk, language=get_language())
        return redirect("shop_manage:import_status", pk=job.pk)
    jobs = ImportJob.objects.order_by("-created_at")[:10]
    return render(
        request,
        "manage/product_import.html",
        {"form": form, "jobs": jobs, "columns": ", ".join(COLUMNS)},
        status=422 if form.errors else 200,
    )


@owner_required
def import_status(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk)
    template = "manage/import_status.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"job": job})
