"""The provider's bounce and complaint reports (anymail's webhooks) feed recipient_bounced."""

import base64
import json

import pytest
from django.test import override_settings

from messaging.signals import recipient_bounced

pytestmark = pytest.mark.django_db

URL = "/messaging/anymail/postmark/tracking/"
SECRET = "postmark:s3cret-webhook-password"


def auth(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def bounce(email: str, kind: str = "HardBounce") -> str:
    # Postmark's bounce webhook, as its documentation shows it (the fields anymail reads).
    return json.dumps(
        {
            "RecordType": "Bounce",
            "ID": 4323372036854775807,
            "Type": kind,
            "Email": email,
            "BouncedAt": "2026-11-30T10:15:00Z",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Description": "The server was unable to deliver your message",
        }
    )


@pytest.fixture
def heard():
    seen = []

    def receiver(sender, recipient, reason, **kwargs):
        seen.append((recipient, reason))

    recipient_bounced.connect(receiver)
    yield seen
    recipient_bounced.disconnect(receiver)


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
@pytest.mark.parametrize(
    "kind, reason", [("HardBounce", "bounced"), ("SpamComplaint", "complained")]
)
def test_a_signed_bounce_or_complaint_feeds_the_signal(client, heard, kind, reason):
    record = json.loads(bounce("Mei@Example.com", kind))
    if kind == "SpamComplaint":
        record["RecordType"] = "SpamComplaint"
    response = client.post(URL, json.dumps(record), content_type="application/json", **auth(SECRET))
    assert response.status_code == 200
    assert heard == [("mei@example.com", reason)]


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_an_unsigned_or_wrongly_signed_post_is_refused(client, heard):
    for extra in ({}, auth("postmark:guess")):
        response = client.post(
            URL, bounce("mei@example.com"), content_type="application/json", **extra
        )
        assert response.status_code == 400
    assert heard == []


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_a_delivery_report_is_not_a_bounce(client, heard):
    delivered = {"RecordType": "Delivery", "Recipient": "mei@example.com", "MessageID": "x"}
    response = client.post(
        URL, json.dumps(delivered), content_type="application/json", **auth(SECRET)
    )
    assert response.status_code == 200 and heard == []


@override_settings(ANYMAIL={})
def test_without_a_secret_the_webhooks_are_closed(client, heard):
    response = client.post(URL, bounce("mei@example.com"), content_type="application/json")
    assert response.status_code == 404 and heard == []
