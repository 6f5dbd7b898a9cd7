from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .images import register_heif

        register_heif()  # HEIC/HEIF photos from phones, for every upload form
