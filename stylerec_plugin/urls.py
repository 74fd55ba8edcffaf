"""Mount with ``path("stylerec/", include("stylerec_plugin.urls"))``.

- ``api/``: the REST API (``api/schema/`` OpenAPI, ``api/docs/`` a browsable reference).
"""

from django.urls import include, path

app_name = "stylerec"

urlpatterns: list = [
    path("api/", include("stylerec_plugin.api.urls")),
]
