from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views
from .docs import ApiDocsView, PluginSchemaView

router = DefaultRouter()
router.register("styles", views.StyleViewSet, basename="style")
router.register("me/interactions", views.MyInteractionsView, basename="my-interactions")

urlpatterns = [
    path("me/preferences/", views.MyPreferencesView.as_view(), name="my-preferences"),
    path("me/recommendations/", views.MyRecommendationsView.as_view(), name="my-recommendations"),
    path("me/data/", views.MyDataView.as_view(), name="my-data"),
    path("events/", views.EventView.as_view(), name="events"),
    path("products/<int:product_id>/variants/", views.ProductVariantsView.as_view(), name="product-variants"),
    path("schema/", PluginSchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    path("", include(router.urls)),
]
