import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from followups.models import DispatcherRun

# /healthz answers within this many seconds, whatever is down: a check still waiting then is
# reported as "timeout". The database gets its own bound below (its pool's wait).
DEADLINE_SECONDS = 1.8
DATABASE_WAIT_SECONDS = 1.0


def _error(error: BaseException) -> str:
    return f"error: {error.__class__.__name__}"


def _check_cache(backend) -> str:
    ping = getattr(backend, "ping", None)
    if ping is not None:
        ping()  # Redis (config.cache): asked directly, whatever its breaker says
    else:
        backend.get("healthz:probe")  # a local cache (demo, tests) is always there
    return "ok"


def _check_broker() -> str:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=DEADLINE_SECONDS / 2)
    return "ok"


def _in_thread(check, *args) -> tuple[threading.Thread, dict]:
    outcome = {"state": "timeout"}

    def run():
        try:
            outcome["state"] = check(*args)
        except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
            outcome["state"] = _error(error)

    thread = threading.Thread(target=run, daemon=True, name=f"healthz-{check.__name__}")
    thread.start()
    return thread, outcome


def _check_database(status: dict) -> None:
    # In the request's thread (its connection, its transaction in tests). With a pool (the
    # psycopg pool on PostgreSQL), a database that is down would hold the request for the
    # pool's whole timeout: wait for a connection for a bounded time first.
    pool = getattr(connection, "pool", None) if connection.connection is None else None
    if pool is not None:
        pool.open()  # as Django does before its first connection; a no-op once open
        pool.putconn(pool.getconn(timeout=DATABASE_WAIT_SECONDS))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    last = DispatcherRun.objects.order_by("-started_at").values_list("started_at", flat=True)
    last = last.first()
    status["dispatcher_last_run"] = last.isoformat() if last else None
    status["dispatcher"] = _dispatcher_state(last)


def _dispatcher_state(last_run) -> str:
    """The dispatcher's state: "ok", or "late" when it (beat starts one a minute) has not run for
    HEALTHZ_DISPATCHER_MINUTES: beat or every worker is stopped or stuck. A shop that never
    ran one counts from its installation (the follow-ups' first migration), so a new stack
    is healthy until the dispatcher had its time."""
    since = last_run
    if since is None:
        since = (
            MigrationRecorder.Migration.objects.filter(app="followups")
            .order_by("applied")
            .values_list("applied", flat=True)
            .first()
        )
    limit = timedelta(minutes=settings.HEALTHZ_DISPATCHER_MINUTES)
    if since is not None and timezone.now() - since > limit:
        return f"late: no run for {settings.HEALTHZ_DISPATCHER_MINUTES}+ minutes"
    return "ok"


CHECKED = ("database", "cache", "broker", "dispatcher")


@never_cache
def healthz(request):
    """JSON: is each dependency reachable (database, cache, broker), and has the follow-up
    dispatcher run lately. 200 when all are fine, 503 when one is not; within 2 s either way:
    the cache and the broker are asked in threads of their own, each with short timeouts.

    Open to anyone (it tells what is down, nothing of the shop's data), never cached, and not
    rate limited (a GET; only public writes are counted): compose and the proxy ask it often.
    """
    began = time.monotonic()
    checks = {
        "cache": _in_thread(_check_cache, caches["default"]),
        "broker": _in_thread(_check_broker),
    }
    status = {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "dispatcher": "unknown",
        "dispatcher_last_run": None,
    }
    try:
        _check_database(status)
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        status["database"] = _error(error)
        status["dispatcher"] = "unknown: no database"
    for name, (thread, outcome) in checks.items():
        thread.join(max(0.0, DEADLINE_SECONDS - (time.monotonic() - began)))
        status[name] = outcome["state"]
    healthy = all(status[name] == "ok" for name in CHECKED)
    return JsonResponse(status, status=200 if healthy else 503)
