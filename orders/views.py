import secrets
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.inputs import is_one_line, safe_next
from config.logs import concerns
from shop.context_processors import shop_profile

from . import services
from .cart import Cart, CartError
from .forms import AddToCartForm, CheckoutForm, QuantityForm
from .models import Order, OrderLine
from .payments import available_providers
from .pricing import quote
from .sections import my_orders_page, tracking_page


def _cart_context(cart: Cart) -> dict:
    lines = cart.lines()
    prices = quote([(line.unit_price, line.quantity) for line in lines], shop_profile())
    return {
        "lines": lines,
        "quote": prices,
        "cart_count": len(cart),
        "blocked": any(line.short_by for line in lines),
    }


@require_POST
def cart_add(request):
    """Add a size and colour to the cart. htmx gets the cart count and a message back."""
    form = AddToCartForm(request.POST)
    cart = Cart(request.session)
    error = added = None
    if form.is_valid():
        try:
            added = cart.add(form.cleaned_data["variant"], form.cleaned_data["quantity"])
        except CartError as exc:
            error = str(exc)
    else:
        error = " ".join(m for errors in form.errors.values() for m in errors)
    if request.htmx:
        return render(
            request,
            "orders/cart_added.html",
            {"error": error, "added": added, "cart_count": len(cart)},
            status=200 if error is None else 422,
        )
    if error:
        messages.error(request, error)
        return redirect(safe_next(request, "orders:cart"))
    messages.success(
        request,
        _("Added %(item)s to your cart.")
        % {"item": f"{added.product.name} ({added.size}, {added.colour})"},
    )
    return redirect("orders:cart")


def cart_detail(request):
    cart = Cart(request.session)
    return render(request, "orders/cart.html", _cart_context(cart))


@require_POST
def cart_update(request, variant_id: int):
    cart = Cart(request.session)
    form = QuantityForm(request.POST)
    error = None
    if request.POST.get("remove"):
        quantity = 0
    elif form.is_valid():
        quantity = form.cleaned_data["quantity"]
    else:
        quantity = None
        error = _("Choose a quantity from 0 to 20.")
    if quantity is not None:
        try:
            cart.set_quantity(variant_id, quantity)
        except CartError as exc:
            error = str(exc)
    context = {**_cart_context(cart), "error": error, "error_variant": variant_id}
    if request.htmx:
        return render(
            request, "orders/cart.html#cart-body", context, status=200 if error is None else 422
        )
    if error:
        messages.error(request, error)
    return redirect("orders:cart")


def _typed(data) -> dict:
    """What the buyer typed so far, as a re-rendered form's initial values (bounded)."""
    return {
        name: value
        for name, value in data.items()
        if name in CheckoutForm.base_fields and isinstance(value, str) and len(value) <= 500
    }


def _buyer(data: dict) -> services.Buyer:
    return services.Buyer(
        email=data.get("email") or "",
        name=data["name"],
        phone=data["phone"],
        address_line1=data["address_line1"],
        address_line2=data.get("address_line2") or "",
        city=data["city"],
        region=data.get("region") or "",
        district=data.get("district") or "",
        postcode=data.get("postcode") or "",
        country=data["country"],
        note=data["note"],
        notify_by=data["notify_by"],
    )


# What a guest's checkout form starts from; a signed-in customer's has their name and email.
BLANK_INITIAL = {"payment_method": "cod", "country": "CN"}


@lru_cache(maxsize=8)
def blank_checkout_fields(language: str) -> dict[str, str]:
    """The country select, the address fields and the note of a guest's blank checkout form,
    rendered once per language and process: they were most of the form's cost (the province
    list, a Django template per widget), and they hold nothing of the visitor's (no value, no
    error, no token: the checkout key and the CSRF token are rendered beside them, per
    request)."""
    form = CheckoutForm(initial=BLANK_INITIAL)
    return {
        "country": str(form["country"]),
        "address": render_to_string("orders/checkout.html#address-fields", {"form": form}),
        "note": render_to_string("orders/checkout.html#note-field", {"form": form}),
    }


def checkout(request):
    """The checkout form; it asks what the destination needs (CheckoutForm).

    A POST with "refresh" (the no-JavaScript buttons beside the country, province and city)
    re-renders the form with what was typed and the next level's choices, placing nothing.
    """
    cart = Cart(request.session)
    status = 200
    if request.method == "POST" and "refresh" not in request.POST and cart.items:
        form = CheckoutForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # The cart's lines and prices are not read first: place_order reads each
                # variant under its lock anyway, and a placed order needs neither; they are
                # read only for a form shown again (its summary).
                order = services.place_order(
                    {int(k): q for k, q in cart.items.items()},
                    _buyer(data),
                    payment_method=data["payment_method"],
                    checkout_key=data["checkout_key"],
                    customer=request.user,
                    language=request.LANGUAGE_CODE,
                )
            except services.OrderError as exc:
                # The cart is kept, so the buyer can change it and try again.
                form.add_error(None, str(exc))
            else:
                cart.clear()
                request.session["last_order"] = order.tracking_token
                # An online method sends the buyer on to pay (payments' page), others thank.
                return redirect(
                    order.payment_provider.next_url(order)
                    or reverse("orders:thanks", args=[order.tracking_token])
                )
        status = 422
    elif request.method == "POST" and "refresh" in request.POST:
        form = CheckoutForm(initial=_typed(request.POST))
    else:
        form = None
    context = _cart_context(cart)
    if not context["lines"]:
        # Empty, or every garment in it deleted since (they drop out of its lines).
        messages.error(request, _("Your cart is empty: add a garment first."))
        return redirect("orders:cart")
    if form is None:
        initial = {"checkout_key": secrets.token_urlsafe(24), **BLANK_INITIAL}
        if request.user.is_authenticated:
            initial.update(email=request.user.email, name=request.user.get_full_name())
        else:
            context["blank_fields"] = blank_checkout_fields(get_language())
        form = CheckoutForm(initial=initial)
    context.update(form=form, providers=available_providers())
    return render(request, "orders/checkout.html", context, status=status)


# The parts of the checkout form htmx swaps: the address for a country, a province's cities
# (with the district list reset), a city's districts.
ADDRESS_PARTS = {
    "address": "address-fields",
    "cities": "cn-city",
    "districts": "cn-district",
}


@require_GET
def checkout_address(request, part: str):
    """One part of the checkout's address, for the values in the query (htmx swaps it in)."""
    if part not in ADDRESS_PARTS:
        raise Http404("No such part.")
    form = CheckoutForm(initial=_typed(request.GET))
    return render(request, f"orders/checkout.html#{ADDRESS_PARTS[part]}", {"form": form})


def _token(token: str) -> str:
    """A link's token as typed into the address bar; Http404 when it cannot be one.

    (PostgreSQL cannot compare a NUL byte: a 500 rather than the 404 of a wrong token.)
    """
    if len(token) > 64 or not is_one_line(token):
        raise Http404("No such order.")
    return token


def _phone_shown(request, order: Order) -> str:
    """The buyer's own browser sees their whole number (to spot a typo); a forwarded link, masked."""
    return "full" if request.session.get("last_order") == order.tracking_token else "masked"


def _order_and_lines(token: str) -> tuple[Order, list[OrderLine]]:
    """The order of a link's token and its lines, in one query: the lines with their order
    joined (a placed order has one at least; one without costs a second query).
    Http404 for a wrong token."""
    lines = list(
        OrderLine.objects.filter(order__tracking_token=_token(token)).select_related("order")
    )
    if not lines:
        return get_object_or_404(Order, tracking_token=token), []
    order = lines[0].order
    for line in lines:
        line.order = order  # one order object, not a copy per line
    return order, lines


def order_thanks(request, token: str):
    order, lines = _order_and_lines(token)
    concerns(order=order.number)
    return render(
        request,
        "orders/thanks.html",
        {
            "order": order,
            "lines": lines,
            "instructions": order.payment_provider.instructions(order, shop_profile()),
            "tracking_url": request.build_absolute_uri(order.get_absolute_url()),
            "phone_shown": _phone_shown(request, order),
        },
    )


def order_tracking(request, token: str):
    """The buyer's private page, reached only by its secret link; a wrong token is a 404.

    Higher apps add their parts (orders.sections.tracking_page): the review link, the help link.
    """
    order = Order.objects.filter(tracking_token=_token(token)).prefetch_related("lines").first()
    if order is None:
        raise Http404("No such order.")
    concerns(order=order.number)
    context = {
        "order": order,
        "events": list(order.events.filter(public=True)),
        "lines": list(order.lines.all()),
        "steps": _steps(order),
        "instructions": order.payment_provider.instructions(order, shop_profile()),
        "phone_shown": _phone_shown(request, order),
        **tracking_page.render_context(request, order),
    }
    return render(request, "orders/tracking.html", context)


def _steps(order: Order) -> list[dict]:
    """The buyer's progress bar: placed -> (paid) -> shipped -> delivered."""
    steps = [("placed", _("Placed"), order.placed_at)]
    if order.payment_provider.pay_before_shipping:
        steps.append(("paid", _("Paid"), order.paid_at))
    steps += [
        ("shipped", _("Shipped"), order.shipped_at),
        ("delivered", _("Delivered"), order.delivered_at),
    ]
    return [{"key": k, "label": label, "at": at, "done": at is not None} for k, label, at in steps]


@login_required
def my_orders(request):
    """A signed-in customer's orders; higher apps add a part to each row (my_orders_page)."""
    orders = list(customer_orders_queryset(request.user).order_by("-placed_at")[:100])
    context = {"orders": orders, **my_orders_page.render_context(request, orders)}
    return render(request, "orders/my_orders.html", context)


def customer_orders_queryset(user):
    """A signed-in customer's orders: their own, and guest orders under the address they proved.

    An address typed at sign-up proves nothing: guest orders join only once the account's
    holder entered the code sent to it (allauth: verified and primary).
    """
    condition = Q(customer=user)
    email = user.verified_email()
    if email:
        condition |= Q(customer__isnull=True, email__iexact=email)
    return Order.objects.filter(condition).prefetch_related("lines")
