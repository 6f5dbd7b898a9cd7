from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from .sections import register

        register()  # its parts of the shop's pages
