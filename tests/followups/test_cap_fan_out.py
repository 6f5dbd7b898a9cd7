"""The cap under the default fan-out: with a backlog of 1,500 other due rows, the two
dispatchers beat's run starts (FOLLOWUP_DISPATCHERS = 2) share the batches, and one address
with six due follow-ups spread through them gets at most 3, every trial. (The issue measured
6 of 6 sent in 20 of 20 trials; bench/followups/cap_fan_out.py runs the 20 with a real worker.)
"""

import threading

import pytest

from bench.followups.backlog import due_backlog, questions_to, spread_due
from followups import cap
from followups.models import DispatcherRun, FollowUp
from messaging import tasks
from messaging.models import Message
from shop.models import ShopProfile

from .helpers import dispatchers_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BACKLOG, TRIALS, MEI = 1500, 3, "mei@example.com"


def reset() -> None:
    """Every row planned again and no email queued: the next trial starts where this one did."""
    FollowUp.objects.update(
        state="planned", message=None, merged_into=None, skip_reason="", claimed_at=None
    )
    Message.objects.all().delete()
    DispatcherRun.objects.all().delete()


def test_one_address_gets_at_most_the_cap_when_two_dispatchers_share_a_backlog(
    settings, monkeypatch
):
    assert settings.FOLLOWUP_DISPATCHERS == 2 and settings.FOLLOWUP_CAP == 3  # the defaults
    # Messaging sends nothing yet: the cap must count what is queued as well as what went.
    monkeypatch.setattr(tasks.send_message_task, "delay", lambda *args, **kwargs: None)
    monkeypatch.setattr(tasks.send_messages_task, "delay", lambda *args, **kwargs: None)
    ShopProfile.load()
    due_backlog(BACKLOG, tag="fan")
    questions_to(MEI)
    spread_due(MEI)
    # Who decided about her rows, by thread: the race is only run when both did.
    deciders = []
    decide = cap.decide

    def spy(address, *, now):
        if address.due[0].email == MEI:
            deciders.append(threading.get_ident())
        return decide(address, now=now)

    monkeypatch.setattr(cap, "decide", spy)
    for trial in range(TRIALS):
        reset()
        deciders.clear()
        results = dispatchers_at_once(settings.FOLLOWUP_DISPATCHERS)
        emails = Message.objects.filter(recipient=MEI, kind__startswith="followup.")
        assert emails.count() == settings.FOLLOWUP_CAP, f"trial {trial}: {emails.count()} emails"
        states = sorted(FollowUp.objects.filter(email=MEI).values_list("state", flat=True))
        assert states == ["sending"] * 3 + ["skipped"] * 3
        # The backlog went whole, shared by both dispatchers, each row once.
        assert sum(r.claimed for r in results) == BACKLOG + 6
        assert all(r.claimed > 0 for r in results)
        assert Message.objects.filter(kind__startswith="followup.").count() == BACKLOG + 3
        assert len(set(deciders)) == 2, f"trial {trial}: one dispatcher decided all of hers"
