from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    """The follow-up engine, above reviews and support: it plans, sends and counts their
    follow-up emails; what a follow-up asks about (an order, a ticket) stays theirs."""

    name = "followups"

    def ready(self) -> None:
        from . import demo_seed, receivers  # noqa: F401
        from .sections import register

        register()  # its parts of the lower apps' pages
