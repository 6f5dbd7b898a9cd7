from django.urls import path

from . import manage_views

app_name = "payments_manage"
urlpatterns = [
    path("<int:pk>/payments/<int:attempt_pk>/refund/", manage_views.refund, name="refund"),
    path("<int:pk>/payments/cancel/", manage_views.cancel, name="cancel"),
]
