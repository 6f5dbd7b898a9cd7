"""A process started without DJANGO_SETTINGS_MODULE runs production's settings, which refuse
to start without a secret and with anything that keeps mail or SMS instead of sending them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "s" * 60
SMS_ENV = {
    "SMS_PROVIDER": "aliyun",
    "SMS_ALIYUN_ACCESS_KEY_ID": "test-key-id",
    "SMS_ALIYUN_ACCESS_KEY_SECRET": "test-key-secret",
}


def clean_env(**env) -> dict:
    """This machine's environment without any of the shop's settings, plus `env`."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECRET_KEY", "SMS_", "EMAIL_", "DEBUG"))
    }
    environment.update(env)
    return environment


def run(args: list, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter, celery and code
        args, cwd=ROOT, env=clean_env(**env), capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args",
    [
        [str(BIN / "celery"), "-A", "config", "inspect", "ping", "--timeout", "1"],
        [str(BIN / "celery"), "-A", "config", "worker", "--pool=solo"],
        [str(BIN / "celery"), "-A", "config", "beat"],
        [sys.executable, "-c", "import config.wsgi"],
        [sys.executable, "-c", "import config.asgi"],
        [sys.executable, "manage.py", "check"],
        [sys.executable, "manage.py", "migrate", "--plan"],
    ],
    ids=["celery-inspect", "worker", "beat", "wsgi", "asgi", "manage-check", "manage-migrate"],
)
def test_a_process_without_a_settings_module_runs_production_and_refuses_without_a_secret(args):
    result = run(args)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr, result.stderr[-2000:]
    assert "DJANGO_SETTINGS_MODULE=config.settings.demo" in result.stderr  # the way out


def test_the_demo_settings_are_named_not_defaulted():
    # With the demo named, the same command starts (as make demo and Procfile.demo do).
    result = run(
        [sys.executable, "manage.py", "check"], DJANGO_SETTINGS_MODULE="config.settings.demo"
    )
    assert result.returncode == 0, result.stderr
    # Commands that only write the project's source files default to the demo's settings.
    result = run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "SMS_PROVIDER is 'console' (the default)"),
        ({"SMS_PROVIDER": "console"}, "SMS_PROVIDER is 'console'"),
        ({"SMS_PROVIDER": ""}, "SMS_PROVIDER is 'console'"),
        (
            {**SMS_ENV, "EMAIL_BACKEND": "messaging.backends.DemoBackend"},
            "EMAIL_BACKEND is messaging.backends.DemoBackend, which keeps mail",
        ),
        (
            {**SMS_ENV, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
            "which keeps mail instead of sending it",
        ),
        (
            {**SMS_ENV, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "which keeps mail instead of sending it",
        ),
    ],
    ids=["sms-default", "sms-console", "sms-empty", "demo-mail", "locmem-mail", "console-mail"],
)
def test_production_refuses_to_keep_messages(env, message):
    result = run(
        [str(BIN / "celery"), "-A", "config", "inspect", "ping", "--timeout", "1"],
        SECRET_KEY=SECRET,
        **env,
    )
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]


def test_production_starts_with_a_provider_that_sends():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SMS_PROVIDER, s.EMAIL_BACKEND)"
    result = run(
        [sys.executable, "-c", code],
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=SECRET,
        **SMS_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["aliyun", "django.core.mail.backends.smtp.EmailBackend"]
