import re

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from .models import SentEmail

LINK = re.compile(r"https?://[^\s<>\"']+")


def outbox(request):
    """Every email the demo sent, newest first, with its links (only with DEBUG on)."""
    if not settings.DEBUG:
        raise Http404("The outbox exists in the demo only.")
    page = Paginator(SentEmail.objects.all(), 30).get_page(request.GET.get("page"))
    site = settings.SITE_URL.rstrip("/")
    for email in page.object_list:
        # Links point at SITE_URL; show them relative so they open on whatever port the demo uses.
        email.links = [
            link.replace(site, "", 1) if link.startswith(site) else link
            for link in dict.fromkeys(LINK.findall(email.body))
        ]
    return render(request, "outbox/outbox.html", {"page": page})
