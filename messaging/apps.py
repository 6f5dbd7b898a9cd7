from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messages"

    def ready(self) -> None:
        # The mail provider's bounce and complaint reports become recipient_bounced.
        from django.core import checks

        from . import webhooks  # noqa: F401
        from .sms.checks import check_sms_configuration

        # manage.py check names a missing SMS secret before a worker fails on the first SMS.
        checks.register(check_sms_configuration)
