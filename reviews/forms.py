from django import forms
from django.utils.translation import gettext_lazy

from config.inputs import ID_MAX, SingleLineCharField
from shop.forms import ImagesField

from .models import Fit, HideReason, ModerationLog, Review

RATING_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Rating"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("Choose from 1 to 5 stars.")},
    )
    fit = forms.ChoiceField(
        label=gettext_lazy("How does it fit?"), choices=Fit.choices, widget=forms.RadioSelect
    )
    title = SingleLineCharField(label=gettext_lazy("Title"), max_length=_max(Review, "title"))
    body = forms.CharField(
        label=gettext_lazy("Your review"),
        max_length=_max(Review, "body"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    display_name = SingleLineCharField(
        label=gettext_lazy("Shown as"), max_length=_max(Review, "display_name")
    )
    height_cm = forms.IntegerField(
        label=gettext_lazy("Your height in cm (optional)"),
        min_value=100,
        max_value=230,
        required=False,
    )
    usual_size = SingleLineCharField(
        label=gettext_lazy("Your usual size (optional)"),
        max_length=_max(Review, "usual_size"),
        required=False,
    )
    photos = ImagesField(
        label=gettext_lazy("Photos (up to 4, optional)"),
        required=False,
        max_files=4,
        error_messages={"too_many": gettext_lazy("At most %(n)s photos.")},
    )

    def __init__(self, *args, max_photos: int = 4, **kwargs):
        super().__init__(*args, **kwargs)
        # Counted by the field, before any photo is decoded.
        self.max_photos = self.fields["photos"].max_files = max_photos

    def has_started(self) -> bool:
        """Whether the buyer filled anything in this line's section (empty sections are skipped)."""
        names = ("rating", "fit", "title", "body")
        return any((self.data.get(self.add_prefix(name)) or "").strip() for name in names)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Public reply"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HideForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Policy reason"), choices=HideReason.choices)
    note = SingleLineCharField(
        label=gettext_lazy("Note for the log (optional)"),
        max_length=_max(ModerationLog, "note"),
        required=False,
    )


class ReviewListFilter(forms.Form):
    SORTS = [
        ("newest", gettext_lazy("Newest")),
        ("highest", gettext_lazy("Highest")),
        ("lowest", gettext_lazy("Lowest")),
        ("helpful", gettext_lazy("Most helpful")),
    ]
    stars = forms.TypedChoiceField(
        choices=[("", "")] + [(n, n) for n in range(1, 6)],
        coerce=int,
        required=False,
        empty_value=None,
    )
    photos = forms.BooleanField(required=False)
    size = SingleLineCharField(max_length=_max(Review, "size_bought"), required=False)
    sort = forms.ChoiceField(choices=SORTS, required=False)


class ReviewAdminFilter(forms.Form):
    """The owner's review list: rating, replied or not, with photos, product and status."""

    rating = forms.ChoiceField(
        required=False, choices=[("", "")] + [(str(n), n) for n in range(1, 6)]
    )
    replied = forms.ChoiceField(required=False, choices=[("", ""), ("yes", "yes"), ("no", "no")])
    photos = forms.ChoiceField(required=False, choices=[("", ""), ("yes", "yes")])
    product = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    status = forms.ChoiceField(required=False, choices=[("", ""), *Review.Status.choices])


class ModerationLogFilter(forms.Form):
    """The moderation log: all entries, or one review's."""

    review = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)
