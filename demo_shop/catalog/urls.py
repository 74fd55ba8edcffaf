from django.urls import path

from . import picker, views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("products/", views.product_list, name="products"),
    path("category/<slug:slug>/", views.product_list, name="category"),
    path("product/<slug:slug>/", views.product_detail, name="product"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/<slug:slug>/", views.cart_add, name="cart_add"),
    path("cart/remove/<slug:slug>/", views.cart_remove, name="cart_remove"),
    path("cart/update/<slug:slug>/", views.cart_update, name="cart_update"),
    path("order/", views.place_order, name="place_order"),
    path("order/<int:pk>/", views.order_detail, name="order"),
    path("signup/", views.signup, name="signup"),
    path("styles/", picker.style_picker, name="styles"),
    path("your-data/", views.your_data, name="your_data"),
    path("your-data/download/", views.your_data_download, name="your_data_download"),
]
