"""One structured log line per request and per task, private links never in them."""

import json
import logging

import pytest
from django.test import TestCase
from django.urls import reverse

from config.logs import JsonFormatter, redact_path
from tests.followups.helpers import delivered_to

pytestmark = pytest.mark.django_db


def lines(caplog, logger: str) -> list[dict]:
    """The captured records of `logger`, each as the JSON line production writes."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


def everything_logged(caplog) -> str:
    formatter = JsonFormatter()
    return "\n".join(formatter.format(r) for r in caplog.records)


@pytest.fixture
def order():
    return delivered_to("buyer@example.com")


def test_a_request_is_one_json_line_with_its_fields(client, caplog, order):
    caplog.set_level(logging.INFO)
    response = client.get(f"/orders/{order.tracking_token}/?utm_source=mail&t=secret-q")
    assert response.status_code == 200
    (line,) = lines(caplog, "shop.requests")
    assert line["method"] == "GET" and line["status"] == 200
    assert line["path"] == "/orders/<token>/"
    assert line["order"] == order.number
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and line["logger"] == "shop.requests"
    assert "user_id" not in line  # a guest
    logged = everything_logged(caplog)
    assert order.tracking_token not in logged and "secret-q" not in logged


def test_the_owners_request_names_the_user_role_and_order(client, caplog, order, owner):
    client.force_login(owner)
    caplog.set_level(logging.INFO)
    assert client.get(reverse("orders_manage:order_detail", args=[order.pk])).status_code == 200
    (line,) = lines(caplog, "shop.requests")
    assert line["path"] == f"/manage/orders/{order.pk}/"  # an id is no secret
    assert line["user_id"] == owner.pk and line["role"] == "owner"
    assert line["order"] == order.number


@pytest.mark.parametrize(
    "path, shown",
    [
        ("/orders/{t}/", "/orders/<token>/"),
        ("/orders/{t}", "/orders/<token>"),  # before APPEND_SLASH redirects it
        ("/checkout/thanks/{t}/", "/checkout/thanks/<token>/"),
        ("/reviews/write/{t}/", "/reviews/write/<token>/"),
        ("/reviews/write/{t}/7/edit/", "/reviews/write/<token>/7/edit/"),
        ("/reviews/care/{t}/", "/reviews/care/<token>/"),
        ("/reviews/unsubscribe/{t}/one-click/", "/reviews/unsubscribe/<token>/one-click/"),
        ("/support/{t}/photos/3/small/", "/support/<token>/photos/3/small/"),
        ("/s/{t}/", "/s/<code>/"),
        ("/messaging/sms/aliyun/receipts/{t}/", "/messaging/sms/aliyun/receipts/<token>/"),
        ("/no-such-page/{t}/x/", "/no-such-page/<unmatched>"),
    ],
)
def test_every_private_link_is_redacted(path, shown):
    token = "Zx9-tok3n_very_private"
    assert redact_path(path.format(t=token)) == shown


def test_a_redirected_and_a_wrong_token_are_redacted_too(client, caplog, order):
    caplog.set_level(logging.INFO)
    client.get(f"/orders/{order.tracking_token}")  # 301 to the slash
    client.get("/orders/not-a-real-token-123/")  # 404
    statuses = [(line["path"], line["status"]) for line in lines(caplog, "shop.requests")]
    assert statuses == [("/orders/<token>", 301), ("/orders/<token>/", 404)]
    assert order.tracking_token not in everything_logged(caplog)
    assert "not-a-real-token-123" not in everything_logged(caplog)


def test_a_task_is_one_line_with_name_id_state_runtime_and_what_it_concerns(caplog, order):
    from messaging.models import Message

    caplog.set_level(logging.INFO)
    message = Message.objects.order_by("pk").first()  # the order's notices, already sent
    from messaging.tasks import send_message_task

    with TestCase.captureOnCommitCallbacks(execute=True):
        send_message_task.delay(message.pk)
    task_lines = [
        line
        for line in lines(caplog, "shop.tasks")
        if line["task"] == "messaging.tasks.send_message"
    ]
    assert task_lines, lines(caplog, "shop.tasks")
    line = task_lines[-1]
    assert line["state"] == "SUCCESS" and line["task_id"]
    assert line["message_id"] == message.pk
    assert line["runtime_ms"] >= 0
    assert order.tracking_token not in everything_logged(caplog)
