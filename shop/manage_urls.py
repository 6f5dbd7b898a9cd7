from django.urls import path

from . import manage_views as views

app_name = "shop_manage"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/export.csv", views.product_export, name="product_export"),
    path("products/import/", views.product_import, name="product_import"),
    path("products/import/<int:pk>/", views.import_status, name="import_status"),
    path("products/<int:pk>/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/duplicate/", views.product_duplicate, name="product_duplicate"),
    path("products/<int:pk>/archive/", views.product_archive, name="product_archive"),
    path("products/<int:pk>/images/", views.image_upload, name="image_upload"),
    path("products/<int:pk>/images/<int:image_pk>/", views.image_action, name="image_action"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<int:pk>/", views.category_list, name="category_edit"),
    path("categories/<int:pk>/move/", views.category_move, name="category_move"),
    path("stock/", views.stock_list, name="stock_list"),
    path("stock/<int:variant_pk>/", views.stock_adjust, name="stock_adjust"),
    path("shop/", views.shop_profile, name="shop_profile"),
]
