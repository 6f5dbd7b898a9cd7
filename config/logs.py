"""One structured log line per request and per Celery task, and the path redaction every log
and error report shares.

A request's line says its method, its path with every private link redacted (the tokens of
/orders/<token>/, /reviews/write/<token>/, /support/<token>/, /s/<code>/ and the rest are
capabilities: whoever reads a log must not hold them), its status, how long it took, who asked
(user id and role, when known) and the order or ticket it concerns (views name it with
concerns()). A task's line says its name, id, state, run time and the ids it was given
(order_id, message_id, ...). Production formats them as JSON (JsonFormatter) on stdout.
"""

import contextvars
import json
import logging
import time

from django.urls import Resolver404, resolve

request_log = logging.getLogger("shop.requests")
task_log = logging.getLogger("shop.tasks")

# URL arguments that are no secret, logged as they are; any other (token, code, key, what a
# third-party app names) is replaced by its name.
PUBLIC_ARGUMENTS = {
    "pk",
    "attachment_pk",
    "image_pk",
    "variant_id",
    "variant_pk",
    "action",
    "part",
    "size",
    "slug",
    "provider",
    "what",
}

_concerns: contextvars.ContextVar[dict | None] = contextvars.ContextVar("concerns", default=None)


def concerns(**numbers) -> None:
    """Name what the current request or task is about (order="J2412-0042", ticket="T-0007"):
    its log line carries them. Numbers only, never a token."""
    current = _concerns.get()
    if current is None:
        current = {}
        _concerns.set(current)
    current.update({k: str(v) for k, v in numbers.items() if v is not None})


def _begin() -> contextvars.Token:
    return _concerns.set({})


def redact_path(path: str, match=None) -> str:
    """`path` with each private URL argument replaced by <its name>; a path that matches no
    URL keeps only its first segment (it may be a link with a character missing). `match`: the
    path's ResolverMatch when the caller has it (the request's own), saving a second resolve."""
    for candidate in () if match else (path, path if path.endswith("/") else path + "/"):
        try:
            match = resolve(candidate)
            break
        except Resolver404:
            continue
    if match is None:
        first = path.strip("/").split("/", 1)[0][:40]
        return f"/{first}/<unmatched>" if "/" in path.strip("/") else f"/{first}"
    segments = path.split("/")
    for name, value in match.kwargs.items():
        if name in PUBLIC_ARGUMENTS:
            continue
        # Django's `path` arguments are whole segments; a `re_path` one may span several.
        value = str(value)
        if value in segments:
            segments = [f"<{name}>" if s == value else s for s in segments]
        elif value:
            segments = [s.replace(value, f"<{name}>") for s in segments]
    return "/".join(segments)


def _role(user) -> str | None:
    # Only what the view already asked: a lookup here would add a query to every page.
    if user.is_superuser:
        return "owner"
    cached = getattr(user, "_role_cache", None)
    if cached:
        return ",".join(sorted(str(r).lower() for r in cached))
    return None


class RequestLogMiddleware:
    """The request's one log line, after the response (errors included: Django has turned an
    exception into its 500 by then)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        began = time.monotonic()
        token = _begin()
        try:
            response = self.get_response(request)
            if not request_log.isEnabledFor(logging.INFO):
                return response
            # The handler resolved the path already (not for a 404); with a script prefix the
            # logged path is not the one it resolved, so it is resolved again.
            match = getattr(request, "resolver_match", None)
            fields = {
                "method": request.method,
                "path": redact_path(
                    request.path, match if request.path == request.path_info else None
                ),
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - began) * 1000, 1),
            }
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                fields["user_id"] = user.pk
                role = _role(user)
                if role:
                    fields["role"] = role
            fields.update(_concerns.get() or {})
            request_log.info(
                "%s %s %s",
                fields["method"],
                fields["path"],
                fields["status"],
                extra={"fields": fields},
            )
            return response
        finally:
            _concerns.reset(token)


# ---------------------------------------------------------------- tasks
_task_started: dict[str, float] = {}


def _task_ids(task, args, kwargs) -> dict:
    """The ids a task was given, by their parameter names (tasks take ids, not objects)."""
    import inspect

    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return {}
    return {
        name: value
        for name, value in bound.arguments.items()
        if name.endswith("_id") and isinstance(value, int | str)
    }


def task_started(task_id=None, task=None, **_) -> None:
    _task_started[task_id] = time.monotonic()
    _begin()


def task_finished(task_id=None, task=None, args=None, kwargs=None, state=None, **_) -> None:
    began = _task_started.pop(task_id, None)
    fields = {
        "task": getattr(task, "name", str(task)),
        "task_id": task_id,
        "state": state,
        "runtime_ms": round((time.monotonic() - began) * 1000, 1) if began else None,
        **_task_ids(task, args, kwargs),
        **(_concerns.get() or {}),
    }
    level = logging.ERROR if state == "FAILURE" else logging.INFO
    task_log.log(level, "%s %s %s", fields["task"], task_id, state, extra={"fields": fields})


def connect_task_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, weak=False, dispatch_uid="shop-task-log-start")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="shop-task-log-end")


class RedactRequestPaths(logging.Filter):
    """On Django's request loggers ("Not Found: /orders/<token>/", "Internal Server Error: ..."),
    whose messages carry the raw path: the path redacted, as in our own line."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if a == path else a for a in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message and the record's `fields`."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def scrub_event(event, hint=None):
    """sentry-sdk's before_send: the request's URL without its private links or query."""
    request = event.get("request") or {}
    url = request.get("url")
    if url:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        request["url"] = f"{parts.scheme}://{parts.netloc}{redact_path(parts.path)}"
    request.pop("query_string", None)
    request.pop("cookies", None)
    return event
