from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StyleRecConfig(AppConfig):
    name = "stylerec_plugin"
    label = "stylerec_plugin"
    verbose_name = _("StyleRec")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers checks and receivers)
        from .experiments.assignment import connect_signals
        from .shoppers import cache

        connect_signals()
        cache.connect_signals()
