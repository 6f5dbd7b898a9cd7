from django.urls import path

from . import manage_views as views

app_name = "orders_manage"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("export.csv", views.order_export, name="order_export"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/packing-slip/", views.packing_slip, name="packing_slip"),
    path("<int:pk>/<slug:action>/", views.order_action, name="order_action"),
]
