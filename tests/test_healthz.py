"""/healthz: 200 with a small JSON when the database, the cache, the broker and the follow-up
dispatcher are fine; 503 naming what is not, within 2 s, for anyone, never cached."""

import socket
import time
from datetime import timedelta

import dj_database_url
import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler
from django.utils import timezone

from config import views
from config.breaker import Breaker
from config.celery import app as celery_app
from followups.models import DispatcherRun

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port nothing listens on: a stopped server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_breakers():
    Breaker.reset_all()
    yield
    Breaker.reset_all()


@pytest.fixture
def broker_at():
    """Point the Celery app's broker elsewhere for one test (its pools keyed by the old one)."""
    saved = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)

    def point(url: str, **options) -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = options

    yield point
    point(saved[0], **(saved[1] or {}))


def fetch(client):
    began = time.monotonic()
    response = client.get("/healthz")
    return response, response.json(), time.monotonic() - began


def test_all_fine_is_200_with_a_small_json_never_cached(client):
    DispatcherRun.objects.create(started_at=timezone.now() - timedelta(minutes=1))
    response, data, _ = fetch(client)
    assert response.status_code == 200, data
    assert data["database"] == data["cache"] == data["broker"] == data["dispatcher"] == "ok"
    assert len(response.content) < 400
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


def test_no_sign_in_and_no_rate_limit(client, settings):
    settings.RATELIMIT_ENABLE = True
    statuses = {client.get("/healthz").status_code for _ in range(150)}  # past "*": 120/m
    assert statuses == {200}


def test_a_database_that_is_down_is_503_within_2_s(client, monkeypatch):
    # A real PostgreSQL connection to a port where no server listens.
    config = dj_database_url.parse(f"postgres://shop@127.0.0.1:{closed_port()}/shop")
    config["OPTIONS"] = {"connect_timeout": 1}
    down = ConnectionHandler({"default": config})["default"]
    monkeypatch.setattr(views, "connection", down)
    response, data, seconds = fetch(client)
    assert response.status_code == 503
    assert data["database"].startswith("error: OperationalError"), data
    assert data["cache"] == "ok"
    assert seconds < 2
    down.close()


def test_a_broker_that_is_down_is_503_within_2_s(client, broker_at, settings):
    broker_at(f"redis://127.0.0.1:{closed_port()}/0", **settings.REDIS_BROKER_OPTIONS)
    response, data, seconds = fetch(client)
    assert response.status_code == 503
    assert data["broker"].startswith("error:"), data
    assert data["database"] == "ok"
    assert seconds < 2


def test_a_cache_that_is_down_is_503(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    response, data, _ = fetch(client)
    assert response.status_code == 503
    assert data["cache"].startswith("error:"), data


def test_a_dispatcher_that_has_not_run_for_n_minutes_is_503(client, settings):
    settings.HEALTHZ_DISPATCHER_MINUTES = 30
    run = DispatcherRun.objects.create(started_at=timezone.now() - timedelta(minutes=29))
    assert fetch(client)[0].status_code == 200
    DispatcherRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(minutes=31)
    )
    response, data, _ = fetch(client)
    assert response.status_code == 503
    assert data["dispatcher"].startswith("late"), data
    assert data["database"] == data["broker"] == data["cache"] == "ok"


def test_a_shop_whose_dispatcher_never_ran_counts_from_its_installation(client, settings):
    settings.HEALTHZ_DISPATCHER_MINUTES = 30
    assert not DispatcherRun.objects.exists()
    assert fetch(client)[0].status_code == 200  # installed just now
    MigrationRecorder.Migration.objects.filter(app="followups").update(
        applied=timezone.now() - timedelta(hours=2)
    )
    response, data, _ = fetch(client)
    assert response.status_code == 503
    assert data["dispatcher"].startswith("late"), data
