from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from . import demo_seed, receivers  # noqa: F401
        from .sections import register

        register()  # its part of the buyer's order page
