from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from . import emails, receivers  # noqa: F401  (emails: sent ones go on the timeline)
        from .sections import register

        register()  # its parts of the shop's pages
        receivers.connect()
