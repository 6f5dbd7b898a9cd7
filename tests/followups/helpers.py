import threading
from dataclasses import replace
from datetime import timedelta

from django.db import connection
from django.db.models import F
from django.test import TestCase
from django.utils import timezone

from followups import dispatch
from followups.models import FollowUp

from ..conftest import make_delivered_order
from ..factories import VariantFactory
from ..orders.helpers import BUYER


def make_due(*rows):
    """Make the given rows (or querysets of rows) due a second ago; nothing else moves."""
    ids = set()
    for item in rows:
        ids |= {item.pk} if isinstance(item, FollowUp) else set(item.values_list("pk", flat=True))
    assert ids, "make_due needs rows"
    return FollowUp.objects.filter(pk__in=ids).update(due_at=timezone.now() - timedelta(seconds=1))


def delivered_to(email: str, *, days_later: float = 0):
    """An order to `email`, delivered through the real services (tests.conftest); with
    `days_later`, its follow-ups are planned as if it had been delivered that much later."""
    order = make_delivered_order(VariantFactory(stock=5), buyer=replace(BUYER, email=email))
    if days_later:
        FollowUp.objects.filter(order=order).update(due_at=F("due_at") + timedelta(days=days_later))
    return order


def states(order) -> dict[str, str]:
    return dict(FollowUp.objects.filter(order=order).values_list("kind", "state"))


def sent_kinds(order) -> list[str]:
    return sorted(FollowUp.objects.filter(order=order, state="sent").values_list("kind", flat=True))


def dispatch_and_send(**kwargs) -> dispatch.DispatchResult:
    """The dispatcher's run as beat starts it: its transaction commits, so messaging's send
    tasks, queued on commit, run (eager) before this returns."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return dispatch.dispatch(**kwargs)


def dispatchers_at_once(n: int, *, batch: int | None = None) -> list:
    """Run `n` dispatchers in threads, started together; each one's result."""
    barrier = threading.Barrier(n)
    results = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(dispatch.dispatch(batch=batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == n
    return results
