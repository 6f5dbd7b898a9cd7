from django.urls import path

from . import sandbox_views, views

app_name = "payments"
urlpatterns = [
    path("orders/<str:token>/pay/", views.pay, name="pay"),
    path("orders/<str:token>/payment/", views.status, name="status"),
    path("payments/notify/<slug:gateway>/", views.notify, name="notify"),
    # The demo's pretend providers (404 unless DEBUG and PAYMENT_SANDBOX).
    path("payments/sandbox/alipay/gateway.do", sandbox_views.alipay_gateway, name="sandbox_alipay"),
    path("payments/sandbox/alipay/pay/", sandbox_views.alipay_pay, name="sandbox_alipay_pay"),
    path("payments/sandbox/wechat/v3/<path:api>", sandbox_views.wechat_api, name="sandbox_wechat"),
    path("payments/sandbox/wechat/h5/", sandbox_views.wechat_h5, name="sandbox_wechat_h5"),
    path("payments/sandbox/wechat/pay/", sandbox_views.wechat_pay, name="sandbox_wechat_pay"),
]
