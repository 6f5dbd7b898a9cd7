from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/<int:variant_id>/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/address/<slug:part>/", views.checkout_address, name="checkout_address"),
    path("checkout/thanks/<str:token>/", views.order_thanks, name="thanks"),
    path("orders/<str:token>/", views.order_tracking, name="tracking"),
    path("account/orders/", views.my_orders, name="my_orders"),
]
