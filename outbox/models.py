from django.db import models


class SentEmail(models.Model):
    """A copy of every email the demo sent, for the outbox page (DEBUG only)."""

    subject = models.CharField(max_length=300)
    to = models.CharField(max_length=500)
    from_email = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
