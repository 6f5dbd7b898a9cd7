from django.urls import path

from . import views

app_name = "reviews"
# The product page and the buyer's order pages are the lower apps' (shop, orders): reviews adds
# its part of them through their sections (reviews.sections).
urlpatterns = [
    path("reviews/<int:pk>/helpful/", views.vote_helpful, name="helpful"),
    path("reviews/write/<str:token>/", views.write_reviews, name="write"),
    path("reviews/write/<str:token>/<int:pk>/edit/", views.edit_review, name="edit"),
]
