"""Run in a fresh process by tests/production/test_sentry.py, with the production settings and
SENTRY_DSN pointing at the test's stand-in: one view that raises, then one Celery task that
fails (eager), then flush. Prints nothing the test needs; the stand-in receives the events."""

import django

django.setup()

from wsgiref.util import setup_testing_defaults  # noqa: E402

import sentry_sdk  # noqa: E402
from django.urls import path  # noqa: E402

import config.urls  # noqa: E402
from config.celery import app  # noqa: E402
from config.wsgi import application  # noqa: E402


class StandInViewError(Exception):
    pass


class StandInTaskError(Exception):
    pass


def broken_view(request, token):
    raise StandInViewError("the view broke")


config.urls.urlpatterns.insert(0, path("orders/<str:token>/broken/", broken_view))


@app.task(name="tests.failing_task")
def failing_task(order_id):
    raise StandInTaskError("the task broke")


# Through the WSGI application gunicorn runs (sentry-sdk reads the request there).
environ = {}
setup_testing_defaults(environ)
environ.update(
    PATH_INFO="/orders/tok-PRIVATE-123/broken/",
    QUERY_STRING="q=tok-PRIVATE-123",
    HTTP_HOST="shop.example.com",
    HTTP_X_FORWARDED_PROTO="https",
)
statuses = []
b"".join(application(environ, lambda status, headers, *_: statuses.append(status)))
print("status", statuses[0].split()[0])
app.conf.task_always_eager = True
app.conf.task_eager_propagates = False
failing_task.delay(41)
sentry_sdk.flush(timeout=5)
