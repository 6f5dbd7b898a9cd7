from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import SignInForm, SignUpForm


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("shop:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.sign_up(**form.cleaned_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome! We sent a link to %(email)s: open it to confirm your address.")
            % {"email": user.email},
        )
        return redirect("shop:home")
    return render(
        request, "accounts/sign_up.html", {"form": form}, status=422 if form.errors else 200
    )


def confirm_email(request, token: str):
    """GET shows a button (mail scanners open links); POST confirms."""
    try:
        user = services.user_for_token(token)
    except services.InvalidLink as error:
        return render(request, "accounts/confirm.html", {"error": str(error)}, status=400)
    if request.method == "POST":
        services.confirm_email(user)
        messages.success(request, _("Your email is confirmed."))
        return redirect("orders:my_orders" if request.user.is_authenticated else "accounts:sign_in")
    return render(request, "accounts/confirm.html", {"confirm_user": user})


@login_required
@require_POST
def resend_confirmation(request):
    if not request.user.email_confirmed_at:
        services.send_confirmation(request.user)
        messages.success(
            request, _("We sent a new link to %(email)s.") % {"email": request.user.email}
        )
    return redirect("orders:my_orders")
