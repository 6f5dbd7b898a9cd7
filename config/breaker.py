"""Skip a server that just failed, for a few seconds, instead of waiting on it every time.

Redis is the cache and the broker. When it is stopped, a call fails at once; when it is frozen
(a full disk, a stuck host, SIGSTOP), a call waits for its socket timeout. Either way, a page
that makes several cache calls would pay for each of them on every request. A breaker per
process and server turns the first failure into "down for `skip_seconds`": calls during that
time are not tried at all (the caller takes its fallback: a cache miss, a sweep later), and
the first call after it tries the server again.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


def server_name(url: str) -> str:
    """A server's address for breakers and logs, without the password a URL may carry."""
    parts = urlsplit(url)
    where = parts.hostname or ""
    if parts.port:
        where += f":{parts.port}"
    return f"{parts.scheme}://{where}{parts.path}"


class Breaker:
    """One server's state in this process: up, or skipped until a moment."""

    _named: dict[str, "Breaker"] = {}
    _lock = threading.Lock()

    def __init__(self, name: str, skip_seconds: float):
        self.name = name
        self.skip_seconds = skip_seconds
        self.skipped_until = 0.0
        self.down_since: float | None = None
        self.last_error = ""

    @classmethod
    def named(cls, name: str, skip_seconds: float) -> "Breaker":
        """The process's breaker for `name` (one per server, shared by every thread)."""
        with cls._lock:
            breaker = cls._named.get(name)
            if breaker is None:
                breaker = cls._named[name] = cls(name, skip_seconds)
            breaker.skip_seconds = skip_seconds
            return breaker

    @classmethod
    def reset_all(cls) -> None:
        """Forget every failure (tests, after they restart a server)."""
        with cls._lock:
            for breaker in cls._named.values():
                breaker.skipped_until, breaker.down_since, breaker.last_error = 0.0, None, ""

    def should_try(self) -> bool:
        return time.monotonic() >= self.skipped_until

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        """Record a failure: skip the server for skip_seconds; log the first of an outage."""
        self.skipped_until = time.monotonic() + self.skip_seconds
        self.last_error = f"{error.__class__.__name__}: {error}"[:200]
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning(
                "%s unreachable (%s): skipped for %ss at a time until it answers",
                self.name,
                self.last_error,
                self.skip_seconds,
            )

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning(
                "%s answers again after %.0f s", self.name, time.monotonic() - self.down_since
            )
            self.down_since = None
            self.last_error = ""
