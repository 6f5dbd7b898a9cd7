from django.urls import path

from . import manage_views as views

app_name = "reviews_manage"
urlpatterns = [
    path("", views.review_list, name="review_list"),
    path("moderation/", views.moderation_log, name="moderation_log"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/hide/", views.hide, name="hide"),
    path("<int:pk>/unhide/", views.unhide, name="unhide"),
]
