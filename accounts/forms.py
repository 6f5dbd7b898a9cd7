import unicodedata

from allauth.account.forms import (
    AddEmailForm,
    ChangeEmailForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import User

# allauth's email fields accept Django's 320 characters; the columns (User.email, allauth's
# EmailAddress.email) hold 254, and PostgreSQL answers a longer value with an error.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


def validate_no_control_characters(value: str) -> None:
    """Refuse line breaks, tabs and other control characters in a person's name.

    A name goes into email headers and staff notifications, where CR/LF (`Bob\\r\\nBcc: x`)
    could start a new header; nobody's name holds one.
    """
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value):
        raise ValidationError(_("Use letters, spaces and punctuation only."), code="control")


class BoundedEmailMixin:
    """Bound the form's address field by its column, for every allauth form that takes one."""

    email_field = "email"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[self.email_field]
        field.max_length = EMAIL_MAX_LENGTH
        field.validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))
        field.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)


class SignInForm(BoundedEmailMixin, LoginForm):
    email_field = "login"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page links the reset itself; allauth's help text would say it twice.
        self.fields["password"].help_text = ""


class ResetPasswordByEmailForm(BoundedEmailMixin, ResetPasswordForm):
    pass


class AddEmailAddressForm(BoundedEmailMixin, AddEmailForm):
    pass


class ChangeEmailAddressForm(BoundedEmailMixin, ChangeEmailForm):
    pass


class SignUpForm(BoundedEmailMixin, SignupForm):
    """allauth's sign-up (email, password) with the name the shop greets its customers by."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        validators=[validate_no_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        validators=[validate_no_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    field_order = ["email", "first_name", "last_name", "password1"]

    def try_save(self, request):
        if self.account_already_exists:
            # Nothing is created for a taken address (its owner is mailed instead). Hash the
            # password anyway, so that the answer takes as long as a real sign-up's and its
            # timing does not tell a stranger that the address has an account.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
