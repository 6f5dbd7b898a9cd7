from django.urls import path

from . import manage_views as views

app_name = "support_manage"
urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("canned/", views.canned_list, name="canned_list"),
    path("canned/<int:pk>/", views.canned_list, name="canned_edit"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("<int:pk>/photos/<int:attachment_pk>/<slug:size>/", views.attachment, name="attachment"),
]
