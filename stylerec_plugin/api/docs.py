"""The API's OpenAPI schema and a readable docs page, both served by the app itself.

The docs page lists every endpoint server-side (works without JavaScript or a
CDN); when ``drf_spectacular_sidecar`` is installed it also embeds Swagger UI
from local static files.
"""

from __future__ import annotations

from django.apps import apps
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView

from .schema import PluginSchema, describe

API_URLCONF = "stylerec_plugin.api.urls"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _api_prefix(request) -> str:
    """Where the API is mounted, e.g. "/stylerec/api" (from the schema's own URL)."""
    schema_url = reverse(f"{request.resolver_match.namespace}:schema") if request.resolver_match.namespace else ""
    return schema_url.rsplit("schema/", 1)[0].rstrip("/") if schema_url else ""


def _settings_for(request) -> dict:
    return {
        "TITLE": "StyleRec API",
        "DESCRIPTION": "Styles, your preferences and recommendations, product variants and interaction events.",
        "SERVERS": [{"url": _api_prefix(request)}],
    }


class PluginSchemaView(PluginSchema, SpectacularAPIView):
    """OpenAPI 3 for the plugin's endpoints only (not the whole project)."""

    urlconf = API_URLCONF

    @describe(exclude=True)
    def get(self, request, *args, **kwargs):
        self.custom_settings = _settings_for(request)
        return super().get(request, *args, **kwargs)


class ApiDocsView(View):
    def get(self, request):
        namespace = request.resolver_match.namespace
        schema = SchemaGenerator(urlconf=API_URLCONF).get_schema(request=None, public=True)
        prefix = _api_prefix(request)
        endpoints = []
        for path, operations in sorted(schema.get("paths", {}).items()):
            for method in HTTP_METHODS:
                operation = operations.get(method)
                if operation is None:
                    continue
                endpoints.append(
                    {
                        "method": method.upper(),
                        "path": prefix + path,
                        "summary": (operation.get("description") or "").split("\n")[0],
                    }
                )
        return render(
            request,
            "stylerec/api_docs.html",
            {
                "endpoints": endpoints,
                "schema_url": reverse(f"{namespace}:schema") if namespace else "",
                "swagger_ui": apps.is_installed("drf_spectacular_sidecar"),
            },
        )
