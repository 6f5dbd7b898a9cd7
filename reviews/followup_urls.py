from django.urls import path

from . import manage_views as views

app_name = "reviews_followups"
urlpatterns = [
    path("", views.follow_ups, name="dashboard"),
    path("<int:pk>/retry/", views.retry_follow_up, name="retry"),
]
