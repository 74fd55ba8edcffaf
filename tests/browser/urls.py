"""The demo's URLs plus media files, so the live server can show product photos with DEBUG off."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("demo_shop.urls")),
]
