"""Beat jobs: close online orders whose hold ran out, and ask providers about what they did not
tell us (lost notifications, refunds in flight). Each job is thin: the services do the work and
are idempotent, so a job that runs twice or dies halfway does nothing twice."""

import logging

from celery import shared_task

from config.celery import RETRY_ON_DATABASE_ERRORS

from . import services
from .gateways.base import GatewayError
from .models import Refund

logger = logging.getLogger(__name__)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def close_expired_payments() -> dict:
    """Periodic: each unpaid online order past PAYMENT_HOLD_MINUTES is asked about, its trade
    closed at the provider, the order cancelled and its stock returned. One order's provider
    being down leaves that order for the next run."""
    done = {"cancelled": 0, "paid": 0, "later": 0}
    for order_id in services.expired_orders():
        try:
            outcome = services.expire_order(order_id)
        except (GatewayError, LookupError) as exc:
            logger.warning("order %s: could not close its payment yet: %s", order_id, exc)
            done["later"] += 1
            continue
        if outcome in done:
            done[outcome] += 1
    return done


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def reconcile_payments() -> dict:
    """Periodic: pending attempts older than PAYMENT_RECONCILE_AFTER_MINUTES and refunds in
    flight are each queried as their own task (retried on GatewayError)."""
    attempts = services.attempts_to_reconcile()
    refunds = list(Refund.objects.filter(state=Refund.State.REQUESTED).values_list("pk", flat=True))
    for attempt_id in attempts:
        reconcile_attempt.delay(attempt_id)
    for refund_id in refunds:
        reconcile_refund.delay(refund_id)
    return {"attempts": len(attempts), "refunds": len(refunds)}


@shared_task(bind=True, autoretry_for=(GatewayError,), retry_backoff=30, max_retries=5)
def reconcile_attempt(self, attempt_id: int) -> str:
    """Ask the provider about one pending attempt; a payment it reports is applied as a notice
    with source "query" (services.reconcile_attempt)."""
    return services.reconcile_attempt(attempt_id)


@shared_task(bind=True, autoretry_for=(GatewayError,), retry_backoff=30, max_retries=5)
def reconcile_refund(self, refund_id: int) -> str:
    """Ask the provider where one refund in flight stands (services.refresh_refund)."""
    return services.refresh_refund(refund_id)
