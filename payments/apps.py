from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (a half-configured provider fails `check`)
        from .providers import register

        register()  # the online methods at checkout and the payment parts of the order pages
