"""The follow-up engine's rows. The tables kept their names from the reviews app they moved out
of (reviews_followup, ...): links in sent emails carry these rows' ids."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FollowUp(models.Model):
    """One planned email after a delivery (or a resolved ticket): the schedule is these rows.

    Created in the transaction that marks the order delivered; claimed by the dispatcher with
    SKIP LOCKED (never a Celery countdown), which queues its email through messaging and links
    it (`message`). Rows of one address that fall due close together go out as one message:
    the others point at the one that carried it (`merged_into`) and share its `message`.

    While messaging has the email the row is "sending"; how it went (sent, failed and why,
    after messaging's own retries) comes back through messaging's signals onto the row, which
    the owner's pages and figures read.
    """

    class Kind(models.TextChoices):
        CARE_CHECK = "care_check", _("Care check")
        REVIEW_REQUEST = "review_request", _("Review request")
        REMINDER = "reminder", _("Review reminder")
        SATISFACTION = "satisfaction", _("Was this solved?")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    class Answer(models.TextChoices):
        ALL_GOOD = "all_good", _("All good")
        PROBLEM = "problem", _("There is a problem")

    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    ticket = models.ForeignKey(
        "support.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Who it is for: the order's (ticket's) email and phone, either may be empty. Where it goes
    # (email or SMS) is the order's choice, read when it is sent; the cap counts both.
    email = models.EmailField(db_index=True, blank=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PLANNED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    # The email that carries (or carried, or failed to carry) this row; kept when the row is
    # planned again, so that the next email gets a key of its own.
    message = models.ForeignKey(
        "messaging.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "reviews_followup"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(order__isnull=False),
                name="one_follow_up_per_order_and_kind",
            ),
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=Q(ticket__isnull=False),
                name="one_follow_up_per_ticket_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(order__isnull=False) | Q(ticket__isnull=False),
                name="follow_up_has_order_or_ticket",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(state="planned"), name="follow_up_due_planned"
            ),
            models.Index(fields=["email", "state", "sent_at"]),
            # The rows messaging has: few, read every minute (dispatch.catch_up).
            models.Index(
                fields=["claimed_at"], condition=Q(state="sending"), name="follow_up_sending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.order_id or self.ticket_id} ({self.state})"

    @property
    def address(self) -> str:
        """Whom it is for, as the owner's pages show it: the email, else the phone."""
        return self.email or self.phone


class Suppression(models.Model):
    """Addresses that get no follow-up: an email address (unsubscribed, bounced or complained)
    or a mobile number in E.164 (replied "TD", or opened the SMS's stop link). Each row is one
    or the other; `address` is whichever it is."""

    class Reason(models.TextChoices):
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        BOUNCE = "bounce", _("Bounced")
        COMPLAINT = "complaint", _("Complained")

    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "reviews_suppression"
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="suppression_email_once"
            ),
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="suppression_phone_once"
            ),
            models.CheckConstraint(
                condition=(Q(email="") & ~Q(phone="")) | (~Q(email="") & Q(phone="")),
                name="suppression_email_or_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"

    @property
    def address(self) -> str:
        return self.email or self.phone


class DispatcherRun(models.Model):
    """The last dispatcher runs, for the owner's health panel and /healthz: each one's figures
    so far, and when it finished."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claimed = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Stopped before it finished (killed, its database gone, an error): closed by the next run.
    interrupted = models.BooleanField(default=False)

    class Meta:
        db_table = "reviews_dispatcherrun"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"dispatch at {self.started_at}"
