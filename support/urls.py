from django.urls import path

from . import views

app_name = "support"
urlpatterns = [
    path("support/new/", views.new_ticket, name="new"),
    path("support/<str:token>/", views.thread, name="thread"),
    path("support/<str:token>/solved/", views.satisfaction, name="satisfaction"),
    path("support/<str:token>/photos/<int:pk>/<slug:size>/", views.attachment, name="attachment"),
]
