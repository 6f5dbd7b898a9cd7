from pathlib import Path

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from messaging.render import Templates, render

HERE = Path(__file__).parent
NOTE = Templates.of("messaging_test/note")


@pytest.fixture
def test_templates(settings):
    """Adds tests/messaging/templates, so messaging is tested without another app's mail."""
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], HERE / "templates"]
    settings.TEMPLATES = [engine]


@pytest.fixture
def note(test_templates):
    def _note(body="Hi", title="Note", **kwargs):
        kwargs.setdefault("language", "en")
        return render(NOTE, {"body": body, "title": title}, **kwargs)

    return _note


class FailingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP is down")
