"""With SENTRY_DSN set, production reports a view's error and a failing task's to the error
tracker: a local stand-in of Sentry's envelope endpoint receives and parses them. Off when
SENTRY_DSN is unset."""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("TEST_SENTRY_PORT", "9340"))


class StandIn(BaseHTTPRequestHandler):
    """Sentry's ingest: POST /api/<project>/envelope/, a (gzipped) envelope of JSON lines."""

    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        StandIn.received.append((self.path, self.headers.get("X-Sentry-Auth", ""), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def events(received) -> list[dict]:
    """Every event item of every envelope: header line, then item header and payload pairs."""
    found = []
    for _, _, body in received:
        lines = body.split(b"\n")
        json.loads(lines[0])  # the envelope's header parses
        i = 1
        while i + 1 < len(lines):
            item, payload = json.loads(lines[i]), lines[i + 1]
            if item.get("type") == "event":
                found.append(json.loads(payload))
            i += 2
    return found


@pytest.fixture
def stand_in():
    StandIn.received = []
    server = ThreadingHTTPServer(("127.0.0.1", PORT), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield StandIn.received
    server.shutdown()
    server.server_close()


def run_app(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTRY_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="s" * 60,
        SMS_PROVIDER="messaging.sms.console.ConsoleSms",
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL="sqlite:///:memory:",
        PYTHONPATH=str(ROOT),
        **env,
    )
    return subprocess.run(  # noqa: S603 - our interpreter and our file
        [sys.executable, "tests/production/sentry_app.py"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_errors_of_a_view_and_a_task_reach_the_tracker_without_private_links(stand_in):
    result = run_app(
        SENTRY_DSN=f"http://publickey@127.0.0.1:{PORT}/42",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="shop@1.2.3",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "status 500" in result.stdout
    assert stand_in and all(path == "/api/42/envelope/" for path, _, _ in stand_in)
    assert all("sentry_key=publickey" in auth for _, auth, _ in stand_in)
    found = events(stand_in)
    types = {e["exception"]["values"][-1]["type"] for e in found if "exception" in e}
    assert {"StandInViewError", "StandInTaskError"} <= types, types
    view_events = [
        e
        for e in found
        if e.get("exception", {}).get("values", [{}])[-1].get("type") == "StandInViewError"
    ]
    assert {e["environment"] for e in view_events} == {"staging"}
    assert {e["release"] for e in view_events} == {"shop@1.2.3"}
    urls = {e.get("request", {}).get("url") for e in view_events}
    # The URL sentry-sdk read from the WSGI request, its token redacted and its query dropped.
    assert "http://shop.example.com/orders/<token>/broken/" in urls, view_events
    everything = b"".join(body for _, _, body in stand_in)
    assert b"tok-PRIVATE-123" not in everything  # in no event, breadcrumb or log line
    assert b"tok-PRIVATE-123" not in result.stdout.encode()  # nor in the JSON request log


def test_without_a_dsn_nothing_is_sent(stand_in):
    result = run_app()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "status 500" in result.stdout
    assert stand_in == []
