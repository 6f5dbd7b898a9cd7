"""The staff inbox shows when each ticket is due (its first answer, then its resolution) and
labels the overdue ones in words; on a phone the same rows become cards."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from support import services
from support.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _profile(shop_profile):
    pass


def open_ticket(subject_body="Which size?", email="a@example.com") -> Ticket:
    return services.open_ticket(email=email, name="A", topic="size", body=subject_body)


def rows(client, view="all") -> dict[str, str]:
    """Each row's HTML by ticket number."""
    html = client.get(reverse("support_manage:ticket_list") + f"?view={view}").content.decode()
    found = re.findall(r'(<tr class="ticket-row.*?</tr>)', html, re.S)
    return {re.search(r">(T[^<]+)</a>", row).group(1): row for row in found}


def due_cell(row: str) -> str:
    cell = re.search(r'<td data-label="Due by" class="ticket-due">(.*?)</td>', row, re.S).group(1)
    return cell


def test_an_unanswered_ticket_is_due_at_its_first_answer(client, support_user):
    client.force_login(support_user)
    ticket = open_ticket()
    cell = due_cell(rows(client)[ticket.number])
    assert f'datetime="{ticket.first_response_due.isoformat()}"' in cell
    assert "first answer" in cell
    assert re.search(r"in \d", cell)
    assert "Overdue" not in rows(client)[ticket.number]


def test_an_answered_ticket_is_due_at_its_resolution(client, support_user):
    client.force_login(support_user)
    ticket = open_ticket()
    services.reply_to_ticket(ticket, "Take an M.", acting_user=support_user)
    ticket.refresh_from_db()
    cell = due_cell(rows(client)[ticket.number])
    assert f'datetime="{ticket.resolution_due.isoformat()}"' in cell
    assert "to resolve" in cell


def test_an_overdue_ticket_says_so_in_words_not_only_colour(client, support_user):
    client.force_login(support_user)
    late, fresh = open_ticket(), open_ticket(email="b@example.com")
    Ticket.objects.filter(pk=late.pk).update(first_response_due=timezone.now() - timedelta(hours=3))
    found = rows(client)
    assert 'class="ticket-row overdue"' in found[late.number]
    assert '<span class="badge overdue-badge">Overdue</span>' in found[late.number]
    assert "late" in due_cell(found[late.number])
    assert "Overdue" not in found[fresh.number]
    assert "overdue" not in found[fresh.number]
    # The overdue view lists it alone.
    assert list(rows(client, "overdue")) == [late.number]


def test_a_resolved_ticket_is_due_no_more(client, support_user):
    client.force_login(support_user)
    ticket = open_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=timezone.now() - timedelta(hours=3)
    )
    services.resolve_ticket(Ticket.objects.get(pk=ticket.pk), acting_user=support_user)
    row = rows(client, "resolved")[ticket.number]
    assert due_cell(row) == "—"
    assert "Overdue" not in row


def test_every_cell_is_labelled_for_the_phone_cards(client, support_user):
    client.force_login(support_user)
    number = open_ticket().number
    row = rows(client)[number]
    labels = re.findall(r'<td data-label="([^"]+)"', row)
    assert labels == ["Ticket", "Customer", "Due by", "Status", "Priority", "Assignee", "Updated"]
    css = (Path(settings.BASE_DIR) / "static/css/site.css").read_text()
    phone = css[css.index("/* ---- h14c") :]
    assert "@media (max-width: 640px)" in phone
    assert ".inbox-table tr" in phone and "content: attr(data-label)" in phone
