from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import OrderLine
from shop.models import Product


class Fit(models.TextChoices):
    SMALL = "small", _("Runs small")
    TRUE = "true", _("True to size")
    LARGE = "large", _("Runs large")


class HideReason(models.TextChoices):
    """The only reasons a review may be hidden. A low rating is never one."""

    ABUSE = "abuse", _("Abusive or hateful")
    PERSONAL_DATA = "personal_data", _("Contains personal data")
    SPAM = "spam", _("Spam or advertising")
    OFF_TOPIC = "off_topic", _("Not about the product")


class Review(models.Model):
    """A verified review: one per line of a delivered order."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        HIDDEN = "hidden", _("Hidden for a policy reason")

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="review")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(_("rating"))
    fit = models.CharField(_("fit"), max_length=5, choices=Fit.choices)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("review"), max_length=4000)
    display_name = models.CharField(_("shown as"), max_length=60)
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True)
    usual_size = models.CharField(_("usual size"), max_length=20, blank=True)
    size_bought = models.CharField(max_length=20)
    colour_bought = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    hidden_reason = models.CharField(max_length=20, choices=HideReason.choices, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    photo_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(status="published", hidden_reason="")
                | Q(status="hidden") & ~Q(hidden_reason=""),
                name="review_hidden_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at"]),
            models.Index(fields=["product", "status", "rating"]),
            models.Index(fields=["product", "status", "-helpful_count"]),
        ]

    def __str__(self) -> str:
        return f"{self.rating}* {self.title}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def photos_withdrawn(self) -> bool:
        """Whether this review's photo files are kept in private storage: hidden for personal
        data, a photo may show a face, an address or a label, and must not stay public."""
        return self.status == self.Status.HIDDEN and self.hidden_reason == HideReason.PERSONAL_DATA


class ReviewPhoto(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    original = models.ImageField(upload_to="reviews/%Y/%m/")
    small = models.ImageField(upload_to="reviews/%Y/%m/")
    large = models.ImageField(upload_to="reviews/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.original.name


class ReviewReply(models.Model):
    """The shop's one public answer to a review, editable."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply")
    body = models.TextField(max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reply to {self.review_id}"


class ModerationLog(models.Model):
    class Action(models.TextChoices):
        HIDE = "hide", _("Hidden")
        UNHIDE = "unhide", _("Shown again")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="moderation")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=20, choices=HideReason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.review_id}"


class HelpfulVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "voter"], name="one_helpful_vote_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.voter} -> {self.review_id}"


class ReviewSummary(models.Model):
    """A product's published-review figures, kept in step in the transaction of every change."""

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="review_summary"
    )
    count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    stars_1 = models.PositiveIntegerField(default=0)
    stars_2 = models.PositiveIntegerField(default=0)
    stars_3 = models.PositiveIntegerField(default=0)
    stars_4 = models.PositiveIntegerField(default=0)
    stars_5 = models.PositiveIntegerField(default=0)
    fit_small = models.PositiveIntegerField(default=0)
    fit_true = models.PositiveIntegerField(default=0)
    fit_large = models.PositiveIntegerField(default=0)
    hidden = models.PositiveIntegerField(default=0)

    FIGURES = (
        "count",
        "rating_sum",
        "stars_1",
        "stars_2",
        "stars_3",
        "stars_4",
        "stars_5",
        "fit_small",
        "fit_true",
        "fit_large",
        "hidden",
    )

    def __str__(self) -> str:
        return f"summary of {self.product_id}"

    def figures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.FIGURES}

    @property
    def mean(self) -> float:
        return self.rating_sum / self.count if self.count else 0.0

    def distribution(self) -> list[dict]:
        """Bars from 5 stars down: count and share of published reviews."""
        return [
            {
                "stars": n,
                "count": getattr(self, f"stars_{n}"),
                "percent": round(100 * getattr(self, f"stars_{n}") / self.count)
                if self.count
                else 0,
            }
            for n in (5, 4, 3, 2, 1)
        ]

    def fit_summary(self) -> dict | None:
        """The three fit shares (runs small / true to size / runs large, counts and percents)
        and the fit a strict majority (more than half) of answers gave, or None when no fit
        has one.

        Returns None under REVIEWS_FIT_MIN_ANSWERS answers (3 unless set): two answers split
        one each way must not read as advice. A 2-2 tie has no majority, so no "most".
        """
        total = self.fit_small + self.fit_true + self.fit_large
        if total < max(1, getattr(settings, "REVIEWS_FIT_MIN_ANSWERS", 3)):
            return None
        counts = (
            (Fit.SMALL, self.fit_small),
            (Fit.TRUE, self.fit_true),
            (Fit.LARGE, self.fit_large),
        )
        shares = [
            {"fit": fit.value, "label": fit.label, "count": n, "percent": round(100 * n / total)}
            for fit, n in counts
        ]
        majority = next((fit.value for fit, n in counts if 2 * n > total), None)
        return {"total": total, "shares": shares, "majority": majority}
