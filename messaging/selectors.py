"""What the apps above read about messaging: how a channel's latest attempts went."""

from dataclasses import dataclass
from datetime import datetime

from .errors import is_connection_error, without_links
from .models import Message

# Failed attempts in a row, newest first, after which a channel is said to refuse.
REFUSING_AFTER = 3


@dataclass(frozen=True)
class ChannelHealth:
    """The channel's latest attempts, newest first: how many there were (up to the number
    looked at), how many of the newest failed in a row, the newest error (links and tokens left
    out) and when that attempt began."""

    attempts: int
    failing: int
    latest_error: str = ""
    latest_at: datetime | None = None

    @property
    def refusing(self) -> bool:
        """The newest attempts all failed: REFUSING_AFTER of them, or every one there is."""
        return self.failing >= min(REFUSING_AFTER, self.attempts) > 0

    @property
    def cannot_connect(self) -> bool:
        """The newest failure never reached the server (refused, dropped, timed out)."""
        return self.failing > 0 and is_connection_error(self.latest_error)


def channel_health(channel: str = "email", *, last: int = 50) -> ChannelHealth:
    """How the newest `last` attempts on `channel` went, by the rows they were made for (one
    query, on an index): a row sent succeeded; a row queued again or failed with an error
    failed; a row being sent is left out. The failing streak ends at the newest success."""
    attempts = list(
        Message.objects.filter(channel=channel, claimed_at__isnull=False)
        .exclude(state=Message.State.SENDING)
        .order_by("-claimed_at")
        .values_list("state", "last_error", "claimed_at")[:last]
    )
    failing = 0
    for state, error, _claimed_at in attempts:
        if state == Message.State.SENT or not error:
            break
        failing += 1
    if not failing:
        return ChannelHealth(attempts=len(attempts), failing=0)
    _state, error, claimed_at = attempts[0]
    return ChannelHealth(
        attempts=len(attempts),
        failing=failing,
        latest_error=without_links(error),
        latest_at=claimed_at,
    )
