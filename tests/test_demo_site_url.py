"""The demo's links follow its port: `PORT=8101 make demo` links to :8101, not base's :8000
(config.settings.demo builds SITE_URL from PORT and HOST unless SITE_URL is set)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from followups.models import FollowUp
from messaging.models import Message
from shop.images import clean_image
from shop.models import Product
from shop.services import save_product
from support.services import open_ticket

from .factories import ProductFactory, image_upload
from .followups.helpers import dispatch_and_send, make_due
from .reviews.helpers import delivered_order

ROOT = Path(__file__).resolve().parent.parent


def demo_site_url(**environ) -> str:
    """SITE_URL as config.settings.demo computes it, in a fresh interpreter with `environ`."""
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "HOST"}}
    env.update(environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.demo"
    code = "from django.conf import settings; print(settings.SITE_URL)"
    done = subprocess.run(  # noqa: S603 (our own interpreter, a fixed program)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_demo_links_to_the_port_it_runs_on():
    assert demo_site_url(PORT="8101") == "http://127.0.0.1:8101"


def test_without_a_port_the_demo_links_to_its_default_port():
    assert demo_site_url() == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port():
    assert demo_site_url(PORT="8101", SITE_URL="https://shop.example") == "https://shop.example"


def test_the_host_it_binds_is_in_the_links_and_ipv6_is_bracketed():
    assert demo_site_url(PORT="8102", HOST="localhost") == "http://localhost:8102"
    assert demo_site_url(PORT="8102", HOST="::1") == "http://[::1]:8102"


def test_a_bad_port_still_gives_a_well_formed_address():
    assert demo_site_url(PORT="80a1") == "http://127.0.0.1:8000"


@pytest.mark.django_db
def test_an_email_rendered_under_the_demos_setting_carries_its_port(settings):
    settings.SITE_URL = demo_site_url(PORT="8101")
    order = delivered_order()
    [placed] = Message.objects.filter(kind="order.placed", about_id=order.pk)
    assert "http://127.0.0.1:8101/" in placed.text and ":8000" not in placed.text
    make_due(FollowUp.objects.filter(order=order, kind="care_check"))
    dispatch_and_send()
    [message] = Message.objects.filter(kind="followup.care_check")
    assert message.headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8101/")
    assert "http://127.0.0.1:8101/" in message.text and ":8000" not in message.text
    assert mail.outbox


@pytest.mark.django_db
def test_a_ticket_email_and_the_json_ld_image_carry_the_demos_port(settings, client):
    settings.SITE_URL = demo_site_url(PORT="8101")
    ticket = open_ticket(email="b@example.com", name="Bo", topic="other", body="Hello")
    [opened] = Message.objects.filter(kind="ticket.opened", about_id=ticket.pk)
    assert "http://127.0.0.1:8101/" in opened.text and ":8000" not in opened.text
    product = ProductFactory(status=Product.Status.ACTIVE)
    save_product(product, variants=[], new_images=[clean_image(image_upload())])
    html = client.get(product.get_absolute_url()).content.decode()
    [data] = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    [image] = json.loads(data)["image"]
    assert image.startswith("http://127.0.0.1:8101/")


def procfile_bind(**environ) -> str:
    """The address Procfile.demo's web process hands runserver, expanded by a shell (as honcho
    runs it) with `environ`."""
    [web] = [
        line
        for line in (ROOT / "Procfile.demo").read_text().splitlines()
        if line.startswith("web:")
    ]
    words = web.split()
    address = words[words.index("runserver") + 1]
    env = {"PATH": os.environ["PATH"], **environ}
    done = subprocess.run(  # noqa: S603 (a fixed shell, the Procfile's own word)
        ["/bin/sh", "-c", f'printf %s "{address}"'], env=env, capture_output=True, text=True
    )
    return done.stdout


def demo_script_host(host: str) -> str:
    """HOST as scripts/demo exports it for `host`: its HOST lines run alone in bash."""
    lines = [
        line
        for line in (ROOT / "scripts/demo").read_text().splitlines()
        if line.startswith(("HOST=", '[[ "$HOST"'))
    ]
    assert len(lines) == 2, lines
    script = "set -euo pipefail\n" + "\n".join(lines) + '\nprintf %s "$HOST"'
    done = subprocess.run(  # noqa: S603
        ["/bin/bash", "-c", script],
        env={"HOST": host} if host else {},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("host", ["", "localhost", "0.0.0.0", "::1"])  # noqa: S104 (a bind test)
def test_the_demo_binds_the_host_and_port_its_links_name(host):
    from django.core.management.commands.runserver import naiveip_re

    exported = demo_script_host(host)
    environ = {"PORT": "8103", **({"HOST": exported} if host else {})}
    bind = procfile_bind(**environ)
    assert naiveip_re.match(bind), bind  # runserver accepts it (IPv6 only in brackets)
    assert demo_site_url(**environ) == f"http://{bind}"
    assert bind == f"{exported}:8103"
    assert "export PORT HOST" in (ROOT / "scripts/demo").read_text()
