"""The one way a message is put together: subject, text, HTML, sender, headers, language.

Callers pass what they know (the sender's display name, the recipient's language, a context);
nothing here reads another app's models.
"""

import json
from dataclasses import dataclass, field
from email.utils import formataddr

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def one_line(text: str) -> str:
    """Every run of whitespace (CR and LF included) as one space.

    Names, subjects and the shop's name end up in mail headers, where a line break would
    start a header of the writer's choosing (Django refuses it with BadHeaderError, and the
    message is lost).
    """
    return " ".join(str(text or "").split())


def sender_address(name: str = "") -> str:
    """DEFAULT_FROM_EMAIL with `name` (on one line) as its display name, if there is one."""
    name = one_line(name)
    return formataddr((name, settings.DEFAULT_FROM_EMAIL)) if name else settings.DEFAULT_FROM_EMAIL


# The header under which an SMS's template values are recorded on its Message row (JSON): the
# approved template's variables, sent as they were when the row was written.
SMS_PARAMS_HEADER = "X-Sms-Params"


@dataclass(frozen=True)
class Templates:
    """The templates of one message. `html` must be an HTML template of its own (autoescaping
    on), never rendered text pasted into markup; None for a text-only message."""

    subject: str
    text: str
    html: str | None = None

    @classmethod
    def of(cls, prefix: str) -> "Templates":
        """`<prefix>_subject.txt`, `<prefix>.txt` and `<prefix>.html`."""
        return cls(f"{prefix}_subject.txt", f"{prefix}.txt", f"{prefix}.html")


@dataclass(frozen=True)
class Rendered:
    """A message ready to record: every header value is on one line."""

    subject: str
    text: str
    html: str
    sender: str
    language: str
    headers: dict[str, str] = field(default_factory=dict)


def render(
    templates: Templates,
    context: dict,
    *,
    language: str,
    sender_name: str = "",
    headers: dict[str, str] | None = None,
    request=None,
) -> Rendered:
    """Render `templates` in `language` (the order's or ticket's, else settings.LANGUAGE_CODE).

    `request`, when given, runs the context processors (account mail rendered in a request).
    """
    with translation.override(language):
        subject = render_to_string(templates.subject, context, request)
        text = render_to_string(templates.text, context, request)
        html = render_to_string(templates.html, context, request) if templates.html else ""
    return Rendered(
        subject=one_line(subject),
        text=text.strip(),
        html=html,
        sender=sender_address(sender_name),
        language=language,
        headers={str(k): one_line(v) for k, v in (headers or {}).items()},
    )


def render_sms(
    template: str, context: dict, *, language: str, params: dict[str, str] | None = None
) -> Rendered:
    """An SMS: `template` rendered in `language` on one line (an SMS has no subject, sender or
    HTML; the provider adds the 【sign name】). `params` are the approved template's values,
    recorded with the message for the SMS channel (messaging.channels.SMS_PARAMS_HEADER)."""
    with translation.override(language):
        text = render_to_string(template, context)
    return Rendered(
        subject="",
        text=one_line(text),
        html="",
        sender="",
        language=language,
        headers={
            SMS_PARAMS_HEADER: json.dumps(
                {str(k): str(v) for k, v in (params or {}).items()}, ensure_ascii=False
            )
        },
    )
