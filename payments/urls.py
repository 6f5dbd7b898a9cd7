from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("orders/<str:token>/pay/", views.pay, name="pay"),
    path("orders/<str:token>/payment/", views.status, name="status"),
    path("payments/notify/<slug:gateway>/", views.notify, name="notify"),
]
