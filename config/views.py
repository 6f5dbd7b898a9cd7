from django.db import connection
from django.http import JsonResponse

from followups.models import DispatcherRun


def healthz(request):
    """JSON: can we reach the database and the broker; when the follow-up dispatcher last ran."""
    from config.celery import app

    status = {"database": "ok", "broker": "ok", "dispatcher_last_run": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        last = (
            DispatcherRun.objects.order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        status["dispatcher_last_run"] = last.isoformat() if last else None
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        status["database"] = f"error: {error.__class__.__name__}"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001
        status["broker"] = f"error: {error.__class__.__name__}"
    healthy = status["database"] == "ok" and status["broker"] == "ok"
    return JsonResponse(status, status=200 if healthy else 503)
