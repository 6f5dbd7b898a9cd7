from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from . import emails, receivers  # noqa: F401  (emails: sent ones go on the timeline)
        from .sections import register

        register()  # its parts of the shop's pages
        receivers.connect()
        from shop import personal

        from .context_processors import cart_link

        personal.register("cart", cart_link)  # the header's cart link in cached pages
