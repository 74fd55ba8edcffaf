"""Mount with ``path("stylerec/", include("stylerec_plugin.urls"))``."""

app_name = "stylerec"

urlpatterns: list = []
