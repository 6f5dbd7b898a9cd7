from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from shop import views as shop_views

urlpatterns = [
    path("", include("reviews.urls")),
    path("", include("shop.urls")),
    path("", include("orders.urls")),
    path("", include("support.urls")),
    path("account/", include("accounts.urls")),
    path("manage/", include("shop.manage_urls")),
    path("manage/orders/", include("orders.manage_urls")),
    path("manage/reviews/", include("reviews.manage_urls")),
    path("manage/tickets/", include("support.manage_urls")),
    path("healthz", shop_views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # The demo and tests serve uploads themselves; production points storage at a file store.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
