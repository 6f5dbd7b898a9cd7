from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from reviews import manage_views as reviews_manage_views

from . import views

urlpatterns = [
    path("", include("shop.urls")),
    path("", include("orders.urls")),
    path("", include("payments.urls")),
    path("", include("support.urls")),
    path("", include("reviews.urls")),
    # The follow-up links of sent emails (/reviews/care/..., /reviews/unsubscribe/...) and
    # /manage/follow-ups/.
    path("", include("followups.urls")),
    path("account/", include("accounts.urls")),
    path("manage/", include("shop.manage_urls")),
    path("manage/orders/", include("orders.manage_urls")),
    path("manage/orders/", include("payments.manage_urls")),
    path("manage/reputation/", reviews_manage_views.reputation_dashboard, name="reputation"),
    path("manage/reviews/", include("reviews.manage_urls")),
    path("manage/tickets/", include("support.manage_urls")),
    path("healthz", views.healthz, name="healthz"),
    # The header's language switch posts here (django's set_language: a cookie, then `next`).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("messaging.urls")),  # /outbox/ (demo) and /messaging/anymail/
]

if settings.ADMIN_URL:
    # Operations (config.admin) at a path from settings: none in production unless set.
    urlpatterns += [path(f"{settings.ADMIN_URL}/", admin.site.urls)]

if settings.SERVE_MEDIA:
    # The demo and tests serve uploads themselves; production points storage at a file store.
    # Only MEDIA_ROOT: PRIVATE_MEDIA_ROOT (imports, withdrawn photos) is never served.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
