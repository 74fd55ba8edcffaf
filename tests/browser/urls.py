"""The demo's URLs plus media files, so the live server can show product photos with DEBUG off."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve


def media(request, path):
    # MEDIA_ROOT is read per request: tests give each their own folder.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", media),
    path("", include("demo_shop.urls")),
]
