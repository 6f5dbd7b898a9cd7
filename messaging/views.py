import re

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from .models import Message

LINK = re.compile(r"https?://[^\s<>\"']+")


def outbox(request):
    """Every message the demo sent, newest first, with its links (only with DEBUG on)."""
    if not settings.DEBUG:
        raise Http404("The outbox exists in the demo only.")
    page = Paginator(Message.objects.all(), 30).get_page(request.GET.get("page"))
    site = settings.SITE_URL.rstrip("/")
    for message in page.object_list:
        # Links point at SITE_URL; show them relative so they open on whatever port the demo uses.
        message.links = [
            link.replace(site, "", 1) if link.startswith(site) else link
            for link in dict.fromkeys(LINK.findall(message.text))
        ]
    return render(request, "messaging/outbox.html", {"page": page})
