"""What an SMS provider's answer means for the message: send again later, or never.

Every provider maps its own codes onto two classes, so the channel that sends a `Message`
through SMS needs no provider knowledge:

- `SmsRetryable`: the provider or the way to it failed for now (throttled, timed out, 5xx,
  network). Messaging's backoff retries it; `SmsUnreachable` is the subset where no answer came.
- `SmsRefused`: retrying cannot help (template not approved, bad number, sign name refused,
  no balance, wrong credentials). It subclasses messaging's `Undeliverable`, so the channel
  lets it through and the row is failed at once.

Each error carries the provider's `code` and `text`, a `category` naming what went wrong in our
words, a `scope` saying who must act ("recipient": this number; "message": this text;
"account": the shop's SMS setup, every message fails alike until the owner fixes it), and
`reason`, a translatable sentence for the owner's pages.
"""

from django.utils.translation import gettext_lazy as _

from messaging.channels import Undeliverable

# What the owner reads for each category (the provider's own text stays in `text`).
REASONS = {
    "throttled": _(
        "The SMS provider is limiting how many messages go out; it will be tried again."
    ),
    "unreachable": _("The SMS provider did not answer; it will be tried again."),
    "provider_error": _("The SMS provider had an internal error; it will be tried again."),
    "bad_number": _("The SMS provider says this is not a valid mobile number."),
    "blocked_number": _("This number does not accept messages (it unsubscribed or is blocked)."),
    "template": _("The SMS template is not approved or does not match what was sent."),
    "sign_name": _("The SMS sign name (signature) is not approved."),
    "content": _("The SMS provider refused the text of this message."),
    "balance": _("The SMS account has no balance left; top it up."),
    "credentials": _("The SMS provider refused the shop's credentials or signature."),
    "account": _("The SMS account cannot send (disabled, no permission or not subscribed)."),
    "request": _("The SMS provider refused the request as malformed."),
}


class SmsError(Exception):
    """A provider's answer that is not "sent": its `code`, its `text`, and what they mean."""

    retryable = False

    def __init__(self, code: str, text: str = "", *, category: str, scope: str = "account"):
        self.code = str(code)[:100]
        self.text = str(text)[:500]  # a provider's text is theirs: bounded before it is kept
        self.category = category
        self.scope = scope
        # The category first, in plain words: messaging's describe() drops runs of 32 or more
        # word characters as tokens, and some provider codes are that long
        # (LimitExceeded.PhoneNumberSameContentDailyLimit), so the owner still reads what
        # kind of failure it was.
        head = f"[{category}] {self.code}"
        super().__init__(f"{head}: {self.text}" if self.text else head)

    @property
    def reason(self) -> str:
        return REASONS.get(self.category, REASONS["request"])


class SmsRetryable(SmsError):
    """Not sent this time; the same request may go through later (throttling, 5xx, timeouts)."""

    retryable = True


class SmsUnreachable(SmsRetryable):
    """The provider did not answer (connection refused, reset, timed out, name not resolved).

    The request may still have reached it when the answer was what timed out: providers do not
    deduplicate, so a retry can deliver twice. The idempotency key travels with every request
    (Aliyun OutId, Tencent SessionContext) so such a pair can be recognised on their side.
    """

    def __init__(self, text: str):
        super().__init__("unreachable", text, category="unreachable", scope="account")


class SmsRefused(SmsError, Undeliverable):
    """Never sent, and sending the same again cannot succeed until someone changes something."""


class ReceiptInvalid(ValueError):
    """A delivery receipt push that is not what the provider documents (bad JSON, too big)."""
