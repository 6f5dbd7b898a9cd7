"""The account pages under /account/: allauth's views at the addresses the shop promised.

Routed here rather than by including allauth.urls, so that sign-in, sign-up and sign-out keep
their /account/sign-in/ style addresses; every view keeps allauth's URL name, which allauth
reverses itself. Only the flows the settings enable are routed (codes, not links, for email
verification and password reset), each once.
"""

from allauth.account import views
from django.urls import path

urlpatterns = [
    path("sign-in/", views.login, name="account_login"),
    path("sign-out/", views.logout, name="account_logout"),
    path("sign-up/", views.signup, name="account_signup"),
    path("inactive/", views.account_inactive, name="account_inactive"),
    path("reauthenticate/", views.reauthenticate, name="account_reauthenticate"),
    path(
        "reauthenticate/code/",
        views.request_reauthentication_code,
        name="account_request_reauthentication_code",
    ),
    path(
        "reauthenticate/code/confirm/",
        views.confirm_reauthentication_code,
        name="account_confirm_reauthentication_code",
    ),
    # The address: verification by a code sent to it, and changing it.
    path("email/", views.email, name="account_email"),
    path("confirm-email/", views.email_verification_sent, name="account_email_verification_sent"),
    # Password: change and set while signed in, reset by a code sent to the address.
    path("password/change/", views.password_change, name="account_change_password"),
    path("password/set/", views.password_set, name="account_set_password"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    path(
        "password/reset/confirm/",
        views.confirm_password_reset_code,
        name="account_confirm_password_reset_code",
    ),
    path(
        "password/reset/complete/",
        views.complete_password_reset,
        name="account_complete_password_reset",
    ),
    path(
        "password/reset/done/",
        views.password_reset_from_key_done,
        name="account_password_reset_completed",
    ),
]
