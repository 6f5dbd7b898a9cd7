"""Generate the demo's payment sandbox keys into VAR_DIR/payment-sandbox (once; kept after)."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.sandbox import new_key_pair
from payments.sandbox_views import sandbox_key_paths


class Command(BaseCommand):
    help = "Generate the demo's Alipay sandbox keys (the app's and the pretend Alipay's)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The payment sandbox is for the demo (DEBUG) only.")
        paths = sandbox_key_paths(os.environ.get("VAR_DIR", settings.VAR_DIR))
        if all(p.exists() for p in paths.values()):
            self.stdout.write("Payment sandbox keys already there.")
            return
        paths["app"].parent.mkdir(parents=True, exist_ok=True)
        app_private, _app_public = new_key_pair()
        alipay_private, alipay_public = new_key_pair()
        for path, text in (
            (paths["app"], app_private),
            (paths["alipay"], alipay_private),
            (paths["alipay_public"], alipay_public),
        ):
            _write_private(path, text)
        self.stdout.write(f"Payment sandbox keys written to {paths['app'].parent}.")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
