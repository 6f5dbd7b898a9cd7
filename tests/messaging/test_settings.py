"""The email and worker settings' defaults."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_mail_has_a_timeout_and_email_is_a_channel():
    assert settings.EMAIL_TIMEOUT == int(os.environ.get("EMAIL_TIMEOUT", "10")) > 0
    assert settings.MESSAGING_CHANNELS["email"] == "messaging.channels.EmailChannel"
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "messaging.tasks.sweep_messages" in beat


def _python(code: str, **env) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")
    }
    environment.update(env)
    # The code is this module's own literal; a fresh process has no settings module yet.
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_worker_without_settings_module_runs_production_and_refuses_without_a_secret():
    result = _python(
        "import os, config.celery as c; print(os.environ['DJANGO_SETTINGS_MODULE']);"
        " c.app.loader.import_default_modules()"
    )
    assert result.stdout.strip() == "config.settings.production"
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_the_demo_names_its_settings_for_every_process():
    procfile = (ROOT / "Procfile.demo").read_text().splitlines()
    assert procfile and all("DJANGO_SETTINGS_MODULE=config.settings.demo" in p for p in procfile)
    assert (
        "export DJANGO_SETTINGS_MODULE=config.settings.demo" in (ROOT / "scripts/demo").read_text()
    )


def test_the_demo_keeps_mail_in_the_table():
    result = _python(
        "from django.conf import settings; import django; django.setup(); print(settings.EMAIL_BACKEND)",
        DJANGO_SETTINGS_MODULE="config.settings.demo",
    )
    assert result.stdout.strip() == "messaging.backends.DemoBackend", result.stderr
