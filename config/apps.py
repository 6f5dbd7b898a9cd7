from django.contrib.admin.apps import AdminConfig


class ShopAdminConfig(AdminConfig):
    """Django's admin with the shop's site (config.admin): owners and superusers only."""

    default_site = "config.admin.ShopAdminSite"
