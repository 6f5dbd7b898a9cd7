from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        from . import receivers
        from .sections import register

        register()  # its parts of the lower apps' pages
        receivers.connect()
