from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.celery import RETRY_ON_DATABASE_ERRORS, publish

from .dispatch import dispatch
from .models import FollowUp


@shared_task(bind=True, acks_late=True, time_limit=600, soft_time_limit=540)
def dispatch_follow_ups(self, fan_out: bool = True) -> dict:
    """Beat, every minute: send the follow-ups that are due.

    Safe to run twice or at once on several workers: rows are claimed with SKIP LOCKED and
    decided under their address's lock, so each is sent by one dispatcher and the cap holds.
    When more than one batch is due (a backlog), beat's run (`fan_out`) first queues
    FOLLOWUP_DISPATCHERS - 1 more dispatchers that do not fan out themselves, so the worker's
    processes share the backlog.

    A database error (a restart, a lost connection) ends the run where it got to: the batch
    in hand rolls back to "planned", the batches before it stand, and Celery runs the task
    again a few seconds later (RETRY_ON_DATABASE_ERRORS' backoff, without fanning out again)
    rather than leaving the rest to beat's next minute.
    """
    try:
        return _dispatch(fan_out)
    except RETRY_ON_DATABASE_ERRORS["autoretry_for"] as error:
        attempt = self.request.retries
        if attempt >= RETRY_ON_DATABASE_ERRORS["max_retries"]:
            raise
        countdown = min(RETRY_ON_DATABASE_ERRORS["retry_backoff"] * 2**attempt, 60)
        raise self.retry(exc=error, kwargs={"fan_out": False}, countdown=countdown) from error


def _dispatch(fan_out: bool) -> dict:
    if fan_out and settings.FOLLOWUP_DISPATCHERS > 1:
        backlog = FollowUp.objects.filter(
            state=FollowUp.State.PLANNED, due_at__lte=timezone.now()
        ).order_by("due_at")[settings.FOLLOWUP_BATCH : settings.FOLLOWUP_BATCH + 1]
        if backlog.exists():
            for _ in range(settings.FOLLOWUP_DISPATCHERS - 1):
                # A broker that cannot take it leaves the backlog to this run and the next.
                publish(dispatch_follow_ups, fan_out=False)
    result = dispatch()
    return {
        "claimed": result.claimed,
        "sent": result.sent,
        "skipped": result.skipped,
        "failed": result.failed,
    }
