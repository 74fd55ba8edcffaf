from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django.views.static import serve

urlpatterns = [
    # Browsers that ignore <link rel="icon"> still ask for /favicon.ico: no 404 for them.
    path("favicon.ico", RedirectView.as_view(url=lazy(static_url, str)("shop/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-rq/", include("django_rq.urls")),
    path("stylerec/", include("stylerec_plugin.urls")),
    path("", include("demo_shop.catalog.urls")),
]

if settings.SERVE_MEDIA:
    # The demo's uploads from MEDIA_ROOT (one machine). A production shop keeps media on
    # S3-compatible storage or lets its front web server serve them (docs/deploy.md).
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
