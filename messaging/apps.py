from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messages"

    def ready(self) -> None:
        # The mail provider's bounce and complaint reports become recipient_bounced.
        from . import webhooks  # noqa: F401
