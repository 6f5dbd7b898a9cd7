"""Production settings for the fault tests' worker and beat (tests/messaging/workers.py).

The environment names the test database, the test's own Redis and mail server, and the
shortened leases and graces; beat's follow-up dispatch and message sweep run every second, so
that what takes minutes in production takes seconds.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": 1.0}
    for name, entry in CELERY_BEAT_SCHEDULE.items()
    if name in ("dispatch-follow-ups", "send-queued-messages")
}
