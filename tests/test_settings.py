import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What production needs besides SECRET_KEY: an SMS provider that sends (its keys are never used
# here: nothing is sent).
SMS_ENV = {
    "SMS_PROVIDER": "aliyun",
    "SMS_ALIYUN_ACCESS_KEY_ID": "test-key-id",
    "SMS_ALIYUN_ACCESS_KEY_SECRET": "test-key-secret",
}


def run_check(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.production", **SMS_ENV)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_check()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_check_deploy():
    result = run_check(SECRET_KEY="k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1908")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_beat_entry_names_a_registered_task():
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "followups.tasks.dispatch_follow_ups" in names
    assert names <= set(app.tasks), names - set(app.tasks)
    assert settings.CELERY_BEAT_SCHEDULE["dispatch-follow-ups"]["schedule"] == 60.0


def test_celery_is_configured_for_reliability():
    from django.conf import settings

    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_TASK_SERIALIZER == "json" and settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert (
        settings.CELERY_TASK_TIME_LIMIT
        and settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    )
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert (
            settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
            > settings.CELERY_TASK_TIME_LIMIT
        )


def production_settings(**env) -> dict:
    """Some of the production settings as JSON, loaded in a fresh process with `env`."""
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'CACHES': s.CACHES, 'BROKER': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
        "'RETRY': s.CELERY_TASK_PUBLISH_RETRY_POLICY, 'FAIL_OPEN': s.RATELIMIT_FAIL_OPEN}))"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="k" * 60, **SMS_ENV
    )
    environment.update(env)
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_redis_client_waits_a_bounded_time_and_the_cache_degrades():
    loaded = production_settings(REDIS_URL="redis://127.0.0.1:6379/0")
    cache = loaded["CACHES"]["default"]
    assert cache["BACKEND"] == "config.cache.ResilientRedisCache"
    for options in (cache["OPTIONS"], loaded["BROKER"]):
        assert 0 < options["socket_connect_timeout"] <= 0.5
        assert 0 < options["socket_timeout"] <= 0.5
    assert loaded["BROKER"]["visibility_timeout"] == 3600
    assert loaded["RETRY"]["max_retries"] <= 1 and loaded["RETRY"]["interval_max"] <= 0.2
    assert loaded["FAIL_OPEN"] is True  # rate limits let buyers through while Redis is down


def test_gunicorn_servers_on_one_machine_do_not_share_a_control_socket():
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "--no-control-socket" in web
    for script in ("bench/run_catalogue.sh", "bench/checkout/run.sh", "bench/redis_faults/run.sh"):
        assert "--no-control-socket" in (ROOT / script).read_text(), script
    gunicorn = Path(sys.executable).with_name("gunicorn")
    usage = subprocess.run(  # noqa: S603 - the gunicorn installed beside this Python
        [gunicorn, "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "--no-control-socket" in usage  # the option this gunicorn knows


def test_the_demo_runs_on_postgresql_and_redis_when_they_are_set():
    script = (ROOT / "scripts" / "demo").read_text()
    assert "unset DATABASE_URL" not in script and "unset REDIS_URL" not in script
    assert "REDIS_URL" in script and "DATABASE_URL" in script
