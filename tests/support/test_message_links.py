"""Links in ticket messages are links on the buyer's thread and the staff ticket page: escaped
first, only http(s), shortened to read, the whole address in href; the emails keep plain text."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from support import services
from support.templatetags.ticket_text import linkify, short_links

LONG = "https://track.example-carrier.cn/express/detail/SF1234567890123?lang=zh&from=shop&x=1"


def links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)


def test_an_address_between_chinese_characters_ends_at_the_full_width_comma():
    html = linkify("请看https://example.com/a，谢谢")
    assert html == (
        '请看<a href="https://example.com/a" rel="nofollow noopener noreferrer"'
        ' title="https://example.com/a">example.com/a</a>，谢谢'
    )


def test_chinese_right_after_an_address_is_not_part_of_it():
    assert links(linkify("链接http://shop.example.cn/p/1谢谢。")) == [
        ("http://shop.example.cn/p/1", "shop.example.cn/p/1")
    ]


def test_a_long_address_is_shortened_to_read_and_whole_in_href():
    [(href, text)] = links(linkify(f"Tracking: {LONG}."))
    assert href == LONG.replace("&", "&amp;")
    assert text.startswith("track.example-carrier.cn/express/") and text.endswith("…")
    assert len(text) == 40


def test_sentence_punctuation_and_brackets_stay_outside():
    html = linkify("(see https://example.com/a_(b)), or https://example.com/c! Done")
    assert links(html) == [
        ("https://example.com/a_(b)", "example.com/a_(b)"),
        ("https://example.com/c", "example.com/c"),
    ]
    assert html.endswith("</a>! Done") and "</a>), or" in html


def test_markup_in_a_message_is_text():
    html = linkify('<script>alert("x")</script> <img src=x onerror=alert(1)>')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and "<a" not in html


def test_a_quote_or_angle_bracket_ends_the_address_and_cannot_leave_the_attribute():
    html = linkify('https://x.example/"onmouseover="alert(1) https://y.example/<b>z</b>')
    assert links(html) == [
        ("https://x.example/", "x.example/"),
        ("https://y.example/", "y.example/"),
    ]
    assert "onmouseover" not in re.sub(r"&quot;onmouseover", "", html)  # only as escaped text
    assert "<b>" not in html


def test_other_schemes_are_never_links():
    for hostile in (
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "xhttps://evil.example/",
        "https://",
        "https://[",
        "//evil.example/",
    ):
        assert "<a" not in linkify(hostile), hostile
    # a scheme in front of an address leaves the address, and only it, a link
    html = linkify("javascript:https://ok.example/")
    assert html.startswith('javascript:<a href="https://ok.example/"')


def test_text_without_links_is_only_escaped():
    assert linkify("M & L, 2 > 1") == "M &amp; L, 2 &gt; 1"


@pytest.mark.django_db
def test_both_pages_link_buyer_and_staff_messages_and_emails_stay_plain(
    client, support_user, on_commit
):
    with on_commit():
        ticket = services.open_ticket(
            email="mei@example.com",
            name="Mei",
            topic="other",
            body=f"请看{LONG}，谢谢\n<b>bold</b>",
        )
        services.reply_to_ticket(
            ticket,
            "Try https://help.example.com/returns — javascript:alert(1)",
            acting_user=support_user,
        )
    buyer_page = client.get(ticket.get_absolute_url()).content.decode()
    client.force_login(support_user)
    staff_page = client.get(
        reverse("support_manage:ticket_detail", args=[ticket.pk])
    ).content.decode()
    for page in (buyer_page, staff_page):
        found = links(page)
        assert (LONG.replace("&", "&amp;"), LONG[8:47] + "…") in found
        assert ("https://help.example.com/returns", "help.example.com/returns") in found
        assert 'rel="nofollow noopener noreferrer"' in page
        assert "，谢谢<br>&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
        assert 'href="javascript' not in page
    reply = next(m for m in mail.outbox if m.to == ["mei@example.com"] and "help.example" in m.body)
    assert "Try https://help.example.com/returns — javascript:alert(1)" in reply.body
    assert "<a " not in reply.body  # the text/plain part is the message as written


def test_a_subject_shows_its_addresses_short_and_unlinked():
    html = short_links(f"请看{LONG}，<b>谢谢</b>")
    assert html == f"请看{LONG[8:47]}…，&lt;b&gt;谢谢&lt;/b&gt;"
    assert short_links("javascript:alert(1)") == "javascript:alert(1)"


@pytest.mark.django_db
def test_the_thread_and_staff_pages_head_a_long_subject_with_a_short_address(client, support_user):
    ticket = services.open_ticket(email="m@example.com", name="M", topic="other", body=LONG)
    assert ticket.subject.startswith("https://")
    client.force_login(support_user)
    for url in (
        ticket.get_absolute_url(),
        reverse("support_manage:ticket_detail", args=[ticket.pk]),
        reverse("support_manage:ticket_list") + "?view=all",
    ):
        html = client.get(url).content.decode()
        assert (
            LONG[8:47] + "…" in html
            and ticket.subject not in html.split("<main")[1].split("<form")[0]
        )
