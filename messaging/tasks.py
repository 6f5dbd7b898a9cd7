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


@shared_task(name="messaging.tasks.send_messages", **RETRY_ON_DATABASE_ERRORS)
def send_messages_task(message_ids: list[int]) -> dict:
    """The first attempt at messages queued together (services.queued_together), one after
    the other over one connection to the mail server.

    Safe to run twice, as send_message_task: each row is claimed alone right before it goes,
    and its outcome recorded as soon as it is handed over. A database error (a restart) stops
    the chunk where it got to and Celery runs it again within a minute: the rows already sent
    are not sent again, the one that was in flight waits for its lease and the sweep.
    """
    outcomes = services.send_messages(message_ids, first=True)
    return {"sent": sum(outcome == "sent" for outcome in outcomes.values())}


@shared_task
def sweep_messages() -> int:
    """Periodic (beat, every minute): send queued rows whose task was lost or whose retry is due."""
    return services.sweep()
