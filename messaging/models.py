from django.db import models
from django.db.models import Q


class Message(models.Model):
    """One message to one recipient through one channel: what was sent, and how it went.

    Rows are written in the transaction of the change they tell about (queue_message), so a
    message exists exactly when its change was saved; `key` makes queueing it twice one row.
    The demo's /outbox/ page reads this table, as the owner's pages do in production.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    key = models.CharField(max_length=320, unique=True)
    kind = models.CharField(max_length=60, help_text='What it is, e.g. "order.shipped".')
    channel = models.CharField(max_length=20, default="email")
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=20)
    # What it is about: a label the owning app chooses ("order", "ticket") and the row's id.
    about = models.CharField(max_length=30, blank=True)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    sender = models.CharField(max_length=320)
    subject = models.TextField()
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the sweep may take a queued row: after the grace its task had, or after a backoff.
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["about", "about_id"], name="message_about"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["queued", "sending"]),
                name="message_to_send",
            ),
            models.Index(fields=["recipient", "kind"], name="message_recipient_kind"),
            # A channel's latest attempts, newest first (selectors.channel_health).
            models.Index(fields=["channel", "-claimed_at"], name="message_latest_attempts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "sending", "sent", "failed"]),
                name="message_state_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.state})"


class ShortLink(models.Model):
    """A short address (/s/<code>/) for a long signed link, for SMS: 10 random base62
    characters (about 59 bits: not guessable), redirecting to `target`. It grants exactly what
    its target does, so pages behind it act only on a button press, as they do for the
    long link."""

    code = models.CharField(max_length=16, unique=True)
    target = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "messaging_shortlink"

    def __str__(self) -> str:
        return self.code
