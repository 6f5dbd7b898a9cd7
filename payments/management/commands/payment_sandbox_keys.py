"""Generate the demo's payment sandbox keys into VAR_DIR/payment-sandbox (once; kept after)."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.sandbox import new_key_pair
from payments.sandbox_views import sandbox_key_paths
from payments.sandbox_wechat import new_apiv3_key


class Command(BaseCommand):
    help = (
        "Generate the demo's payment sandbox keys: Alipay's (the app's and the pretend "
        "Alipay's) and WeChat Pay's (the merchant's, the pretend platform's, the APIv3 key)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The payment sandbox is for the demo (DEBUG) only.")
        paths = sandbox_key_paths(os.environ.get("VAR_DIR", settings.VAR_DIR))
        paths["app"].parent.mkdir(parents=True, exist_ok=True)
        # Each provider's set is made once, whole: keys already there (a demo made before
        # WeChat Pay's sandbox existed) stay, so its Alipay orders keep verifying.
        made = []
        alipay = ("app", "alipay", "alipay_public")
        if not all(paths[name].exists() for name in alipay):
            app_private, _app_public = new_key_pair()
            alipay_private, alipay_public = new_key_pair()
            for name, text in zip(
                alipay, (app_private, alipay_private, alipay_public), strict=True
            ):
                _write_private(paths[name], text)
            made.append("Alipay")
        wechat = ("wechat_merchant", "wechat", "wechat_public", "wechat_apiv3")
        if not all(paths[name].exists() for name in wechat):
            merchant_private, _merchant_public = new_key_pair()
            platform_private, platform_public = new_key_pair()
            texts = (merchant_private, platform_private, platform_public, new_apiv3_key())
            for name, text in zip(wechat, texts, strict=True):
                _write_private(paths[name], text)
            made.append("WeChat Pay")
        if not made:
            self.stdout.write("Payment sandbox keys already there.")
            return
        self.stdout.write(
            f"Payment sandbox keys ({', '.join(made)}) written to {paths['app'].parent}."
        )


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
