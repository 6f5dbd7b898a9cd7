"""The one Celery app: settings come from Django's, under the CELERY_ namespace.

Like wsgi and asgi, it defaults to the production settings, which refuse to start without
SECRET_KEY: a worker started without DJANGO_SETTINGS_MODULE never runs the demo's settings
by accident (scripts/demo and Procfile.demo name the demo's).

Queueing a task must never hold a request for long, since Redis (the broker) may be stopped or
frozen: the settings give every broker connection short socket timeouts and publishing one
short retry, and BoundedTask, the base of every task, skips the broker for a few seconds after
a publish failed (config.breaker), so that during an outage a request pays at most one bounded
wait now and then. A task that could not be queued is never the only record of the work: each
kind has its row in the database and a sweep on beat (messaging's queued messages, the CSV
import jobs still pending), and the catalogue's cache bump is remembered (shop.cache).
"""

import logging
import os

from celery import Celery, Task
from celery.signals import celeryd_init
from django.db import InterfaceError, transaction
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from .breaker import Breaker, server_name
from .logs import connect_task_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

log = logging.getLogger(__name__)

SKIP_SECONDS = 5


class BrokerUnavailable(OperationalError):
    """The broker failed a moment ago and is skipped for now: the task was not queued."""


# What a publish raises when the broker cannot take it: kombu wraps the transport's errors
# (redis-py's, socket errors) in OperationalError once its retries are spent.
PUBLISH_ERRORS = (OperationalError, OSError)


def _broker_breaker() -> Breaker:
    return Breaker.named(f"Celery broker {server_name(app.conf.broker_url)}", SKIP_SECONDS)


class BoundedTask(Task):
    """Every task's base: publishing gives up at once while the broker is known to be down."""

    def apply_async(self, *args, **kwargs):
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        breaker = _broker_breaker()
        if not breaker.should_try():
            raise BrokerUnavailable(f"{self.name} not queued: {breaker.last_error}")
        try:
            result = super().apply_async(*args, **kwargs)
        except PUBLISH_ERRORS as error:
            breaker.failed(error)
            raise
        breaker.succeeded()
        return result


def _closed_channels_raise_connection_errors() -> None:
    """Keep the worker alive when Redis goes away while it runs a task and waits for the next.

    kombu 5.7 and celery 5.7: the consumer's channel then outlives its transport, and the
    restore of its unacked message, then the running task's ack, ask a transport already
    closed for its address and raise AttributeError. Celery takes that for an unrecoverable
    error and the worker exits (and honcho stops every process of the Procfile with it).
    Raised as the ConnectionError it is, kombu logs "Couldn't ack" and the consumer connects
    again. tests/test_redis_down.py keeps a worker through a stop; drop this when kombu does.
    """
    from kombu.transport import redis as kombu_redis

    original = kombu_redis.Channel._connparams
    if getattr(original, "closed_transport_guard", False):
        return

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("the broker connection of this channel is closed")
        return original(self, asynchronous=asynchronous)

    _connparams.closed_transport_guard = True
    kombu_redis.Channel._connparams = _connparams


_closed_channels_raise_connection_errors()

app = Celery("config", task_cls=BoundedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_task_signals()  # one log line per task (config.logs)


@celeryd_init.connect
def worker_waits_for_a_frozen_broker(conf=None, **kwargs) -> None:
    """In a worker, broker calls wait for a frozen Redis instead of timing out.

    Nobody waits on a worker, and a timeout hurts it: an ack that timed out leaves its task
    holding one of the worker's prefetch places for good (Celery does not try the ack again),
    and with every place held the worker takes no task until it is restarted; measured by
    bench/redis_faults after a 15 s freeze. Waiting, it goes on when Redis does. The connect
    timeout stays, and kombu still drops a BRPOP left unanswered (health_check_interval).
    """
    options = dict(conf.broker_transport_options or {})
    if options.pop("socket_timeout", None) is not None:
        conf.broker_transport_options = options


def publish(task, *args, **kwargs) -> bool:
    """Queue `task` with these arguments; never raises for a broker that cannot take it.

    Returns whether it was queued. False is logged; the caller's work is then done by the
    sweep of its kind (a caller with no sweep must not use this). Eager mode (tests) runs the
    task here and lets its errors through.
    """
    if app.conf.task_always_eager:
        task.delay(*args, **kwargs)
        return True
    try:
        task.delay(*args, **kwargs)
    except PUBLISH_ERRORS as error:
        log.warning("%s(%s) not queued, left to its sweep: %r", task.name, args, error)
        return False
    return True


def publish_on_commit(task, *args, **kwargs) -> None:
    """publish() once the current transaction commits; the committed change stands either way."""
    transaction.on_commit(lambda: publish(task, *args, **kwargs), robust=True)


# Task options for a task whose database may be restarting (psycopg's "server closed the
# connection", the pool's timeout): Celery retries it five times, after up to 2, 4, 8, 16 and
# 32 s (jittered), instead of leaving the work to a sweep minutes later. Only for tasks that
# are safe to run twice.
RETRY_ON_DATABASE_ERRORS = {
    "autoretry_for": (DatabaseOperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}
