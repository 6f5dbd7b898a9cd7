from django.urls import path

from . import manage_views, views

app_name = "followups"
# The buyer's links keep the /reviews/ addresses of the emails already sent.
urlpatterns = [
    path("reviews/care/<str:token>/", views.care_check, name="care_check"),
    path("reviews/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "reviews/unsubscribe/<str:token>/one-click/",
        views.unsubscribe_one_click,
        name="unsubscribe_one_click",
    ),
    path("manage/follow-ups/", manage_views.follow_ups, name="dashboard"),
    path("manage/follow-ups/<int:pk>/retry/", manage_views.retry_follow_up, name="retry"),
]
