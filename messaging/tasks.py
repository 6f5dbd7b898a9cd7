from celery import shared_task

from config.celery import RETRY_ON_DATABASE_ERRORS

from . import services


@shared_task(name="messaging.tasks.send_message", **RETRY_ON_DATABASE_ERRORS)
def send_message_task(message_id: int) -> str:
    """The first attempt at a queued message, right after its transaction committed.

    Safe to run twice: the second run finds the row claimed or sent. A failure to send is
    recorded on the row and retried by the sweep after a backoff, not by Celery; a database
    that is restarting (before the row could be claimed) is retried by Celery within a minute.
    """
    return services.send_message(message_id, first=True)


@shared_task
def sweep_messages() -> int:
    """Periodic (beat, every minute): send queued rows whose task was lost or whose retry is due."""
    return services.sweep()
