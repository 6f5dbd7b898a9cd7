from django.urls import path

from . import views

app_name = "reviews"
# The product page and the buyer's order pages are served here, so that they can show reviews
# while the lower apps (shop, orders) know nothing of this one; config/urls.py lists these first.
urlpatterns = [
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("orders/<str:token>/", views.order_tracking, name="order_tracking"),
    path("account/orders/", views.my_orders, name="my_orders"),
    path("reviews/<int:pk>/helpful/", views.vote_helpful, name="helpful"),
    path("reviews/write/<str:token>/", views.write_reviews, name="write"),
    path("reviews/write/<str:token>/<int:pk>/edit/", views.edit_review, name="edit"),
    path("reviews/care/<str:token>/", views.care_check, name="care_check"),
    path("reviews/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "reviews/unsubscribe/<str:token>/one-click/",
        views.unsubscribe_one_click,
        name="unsubscribe_one_click",
    ),
]
