"""One render helper: escaped HTML from its own template, one-line headers, the sender, the
recipient's language."""

from email.utils import parseaddr

from messaging.channels import EmailChannel
from messaging.models import Message
from messaging.render import one_line, sender_address

HOSTILE = "<script>alert(1)</script>\r\nBcc: victim@evil.example"


def test_html_escapes_hostile_text_and_the_text_part_keeps_it(note):
    rendered = note(body=HOSTILE)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert HOSTILE.strip() in rendered.text  # plain text is not HTML: shown as typed


def test_subject_sender_and_headers_are_one_line(note, settings):
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    rendered = note(
        title=HOSTILE,
        sender_name="Atelier\r\nBcc: x@evil.example",
        headers={"List-Unsubscribe": "<https://x.example/u>\r\nBcc: y@evil.example"},
    )
    assert rendered.subject == "Hello: <script>alert(1)</script> Bcc: victim@evil.example"
    assert "\n" not in rendered.sender and "\r" not in rendered.sender
    assert parseaddr(rendered.sender) == ("Atelier Bcc: x@evil.example", "shop@example.com")
    assert rendered.headers == {"List-Unsubscribe": "<https://x.example/u> Bcc: y@evil.example"}
    # Built for sending, nobody but the recipient receives it.
    fields = {f: getattr(rendered, f) for f in ("sender", "subject", "text", "html", "headers")}
    email = EmailChannel().build(Message(recipient="a@example.com", **fields))
    mime = email.message()
    assert email.recipients() == ["a@example.com"] and "bcc" not in {k.lower() for k in mime}


def test_rendered_in_the_recipients_language_whatever_is_active(note):
    from django.utils import translation

    with translation.override("en"):
        rendered = note(language="zh-hans")
        assert translation.get_language() == "en"  # the caller's language is left as it was
    assert rendered.language == "zh-hans"
    assert rendered.text.startswith("[zh-hans]") and 'lang="zh-hans"' in rendered.html
    assert note(language="en").text.startswith("[en]")


def test_no_name_means_the_bare_address(settings):
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    assert sender_address("") == "shop@example.com"
    assert sender_address("  ") == "shop@example.com"
    assert one_line(" a\r\n\tb  ") == "a b"
