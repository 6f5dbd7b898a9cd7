"""Which due follow-ups of one address go out, together, and which wait or are skipped.

The rules, for one address at one moment (the dispatcher holds the address's lock):

- **Merge.** Rows that fall due close together (within FOLLOWUP_MERGE_MINUTES) go out as one
  message: one care check for the orders delivered that week, one review request listing every
  unreviewed line of those orders (a due reminder of another order joins it: it asks the same).
  A row pulled forward joins only when its order's earlier step is done (no review request
  before the order's care check).
- **The cap** counts messages, not rows: at most FOLLOWUP_CAP in FOLLOWUP_CAP_DAYS, counting
  those being sent by any dispatcher as well as those sent.
- **The review request goes first.** When the cap bites, a message that asks for a first review
  is decided before the others; a care check, a "was this solved?" or a reminder is held back
  when it would leave no place for a review request planned within the cap's window, and a
  reminder due shortly before another order's review request waits to go with it.

Nothing here reads what a buyer answered: every buyer is asked the same way (no review gating).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from .models import FollowUp

Kind = FollowUp.Kind


@dataclass
class Message:
    """One email: its rows, the first of which is due and carries it (the lead)."""

    rows: list[FollowUp]

    @property
    def lead(self) -> FollowUp:
        return self.rows[0]

    @property
    def merged(self) -> list[FollowUp]:
        return self.rows[1:]

    @property
    def kind(self) -> str:
        """The template: a review request if any row is one, else the lead's kind."""
        kinds = {row.kind for row in self.rows}
        return Kind.REVIEW_REQUEST if Kind.REVIEW_REQUEST in kinds else self.lead.kind

    @property
    def order_ids(self) -> set[int]:
        return {row.order_id for row in self.rows if row.order_id}


@dataclass
class Outcome:
    """What the dispatcher does with one address's rows: send, skip (row id -> reason), or
    leave planned with a later due time (row id -> when)."""

    send: list[Message] = field(default_factory=list)
    skip: dict[int, str] = field(default_factory=dict)
    defer: dict[int, datetime] = field(default_factory=dict)


@dataclass
class Address:
    """What the dispatcher read about one address, under its lock."""

    due: list[FollowUp]  # claimed by this dispatcher, in due order
    candidates: list[FollowUp] = field(default_factory=list)  # planned, due soon, locked by us
    waiting_requests: list[FollowUp] = field(default_factory=list)  # review requests to come
    counted: list[datetime] = field(default_factory=list)  # messages the cap counts, when sent
    refused: dict[int, str] = field(default_factory=dict)  # rows that must not go, and why
    unfinished: set[tuple[int, str]] = field(default_factory=set)  # (order, kind) not yet done


def merge_window() -> timedelta:
    return timedelta(minutes=settings.FOLLOWUP_MERGE_MINUTES)


def _messages(address: Address) -> list[Message]:
    """The due rows grouped into messages, each with the rows that join it."""
    live = [r for r in address.due if r.pk not in address.refused]
    pulled = [r for r in address.candidates if r.pk not in address.refused]

    def of_kind(rows: list[FollowUp], kind: str) -> list[FollowUp]:
        return [r for r in rows if r.kind == kind]

    def ready(row: FollowUp, *steps: str) -> bool:
        return not any((row.order_id, step) in address.unfinished for step in steps)

    messages = [Message([row]) for row in of_kind(live, Kind.SATISFACTION)]
    care = of_kind(live, Kind.CARE_CHECK)
    if care:
        messages.append(Message(care + of_kind(pulled, Kind.CARE_CHECK)))
    requests, reminders = of_kind(live, Kind.REVIEW_REQUEST), of_kind(live, Kind.REMINDER)
    later_reminders = [
        r for r in of_kind(pulled, Kind.REMINDER) if ready(r, Kind.CARE_CHECK, Kind.REVIEW_REQUEST)
    ]
    if requests:
        requests += [r for r in of_kind(pulled, Kind.REVIEW_REQUEST) if ready(r, Kind.CARE_CHECK)]
        asked = {r.order_id for r in requests}
        others = [r for r in reminders + later_reminders if r.order_id not in asked]
        messages.append(Message(requests + others))
        # A reminder due together with its own order's request (after an outage) goes apart.
        reminders, later_reminders = [r for r in reminders if r.order_id in asked], []
    if reminders:
        messages.append(Message(reminders + later_reminders))
    return messages


def decide(address: Address, *, now: datetime) -> Outcome:
    """Send, skip or defer each due row of one address (see the module's rules)."""
    outcome = Outcome(
        skip={r.pk: address.refused[r.pk] for r in address.due if r.pk in address.refused}
    )
    messages = _messages(address)
    # Review requests first; the others as they fell due, so that the cap bites the later ones.
    messages.sort(key=lambda m: (m.kind != Kind.REVIEW_REQUEST, m.lead.due_at, m.lead.pk))
    taken = {row.pk for message in messages for row in message.rows}
    waiting = sorted(
        (r for r in address.waiting_requests if r.pk not in taken and r.pk not in address.refused),
        key=lambda r: (r.due_at, r.pk),
    )
    counted = list(address.counted)
    cap, window = settings.FOLLOWUP_CAP, timedelta(days=settings.FOLLOWUP_CAP_DAYS)

    def room(since: datetime) -> int:
        return cap - sum(1 for when in counted if when >= since)

    due_ids = {row.pk for row in address.due}
    for message in messages:
        due = [row for row in message.rows if row.pk in due_ids]
        request = waiting[0] if waiting and message.kind != Kind.REVIEW_REQUEST else None
        if message.kind == Kind.REMINDER:
            soon = [r for r in waiting if now < r.due_at <= now + merge_window()]
            if soon:
                outcome.defer.update({row.pk: soon[0].due_at for row in due})
                continue
        if room(now - window) < 1:
            reason = _("%(n)s follow-up emails already sent to this address in %(d)s days")
        elif request is not None and room(request.due_at - window) < 2:
            reason = _(
                "held back: %(n)s follow-up emails in %(d)s days at most, and a review request "
                "is still to come"
            )
        else:
            counted.append(now)
            outcome.send.append(message)
            continue
        reason %= {"n": cap, "d": settings.FOLLOWUP_CAP_DAYS}
        outcome.skip.update({row.pk: reason for row in due})
    return outcome
