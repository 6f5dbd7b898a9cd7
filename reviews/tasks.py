from celery import shared_task

from .followups import dispatch


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def dispatch_follow_ups() -> dict:
    """Beat, every minute: send the follow-ups that are due. Safe to run twice or at once on
    several workers (rows are claimed with SKIP LOCKED and marked before sending)."""
    result = dispatch()
    return {
        "claimed": result.claimed,
        "sent": result.sent,
        "skipped": result.skipped,
        "failed": result.failed,
    }
