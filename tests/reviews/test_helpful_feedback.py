"""A "helpful" vote says it was counted, and a repeat says so, with htmx and without."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted_review():
    r = review(delivered_order().lines.first())
    return r, reverse("reviews:helpful", args=[r.pk])


def test_htmx_vote_shows_it_was_counted_then_that_it_already_was(client, voted_review):
    r, url = voted_review
    first = client.post(url, HTTP_HX_REQUEST="true")
    html = first.content.decode()
    assert first.status_code == 200
    assert "✓ Thanks, counted (1)" in html and 'aria-pressed="true"' in html
    assert 'name="csrfmiddlewaretoken"' in html  # the swapped form still posts without htmx
    second = client.post(url, HTTP_HX_REQUEST="true")
    html = second.content.decode()
    assert second.status_code == 200  # htmx would not swap a 409: the repeat would be silent
    assert "You already found this helpful." in html and "(1)" in html
    assert "Thanks, counted" not in html
    r.refresh_from_db()
    assert r.helpful_count == 1


def test_without_javascript_a_vote_redirects_back_with_a_message(client, voted_review):
    r, url = voted_review
    first = client.post(url)
    assert first.status_code == 302 and first["Location"].endswith(f"#review-{r.pk}")
    assert [str(m) for m in get_messages(first.wsgi_request)] == ["Thanks, counted"]
    client.get(first["Location"])  # the message is read once
    second = client.post(url, follow=True)
    page = second.content.decode()
    assert "You already found this helpful." in page and "Thanks, counted" not in page
    r.refresh_from_db()
    assert r.helpful_count == 1


def test_the_product_page_button_is_keyed_for_focus_and_announced(client, voted_review):
    r, _url = voted_review
    html = client.get(r.product.get_absolute_url()).content.decode()
    assert f'id="helpful-{r.pk}"' in html and 'class="helpful" aria-live="polite"' in html


def test_a_repeat_in_chinese_keeps_the_button_pressed(client, voted_review):
    r, url = voted_review
    client.post(url, HTTP_HX_REQUEST="true")
    with translation.override("zh-hans"):
        html = client.post(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    # "有帮助" is the catalogue's "Helpful"; a repeat says so in Chinese.
    assert "✓ 有帮助 (1)" in html and 'aria-pressed="true"' in html
    assert "您已标记过此评价有帮助。" in html
