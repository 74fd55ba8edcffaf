from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StyleRecConfig(AppConfig):
    name = "stylerec_plugin"
    label = "stylerec_plugin"
    verbose_name = _("StyleRec")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from . import checks  # noqa: F401  (registers the system checks)
        from .experiments import receivers as experiment_receivers
        from .restyling import receivers as restyling_receivers
        from .shoppers import receivers as shopper_receivers

        # Every receiver is connected here, with a dispatch_uid; none at import time.
        restyling_receivers.connect()
        shopper_receivers.connect()
        experiment_receivers.connect()
        # Apps may supply STYLEREC defaults (stylerec_plugin.contrib.oscar does): read them again
        # when INSTALLED_APPS changes (tests).
        setting_changed.connect(_installed_apps_changed, dispatch_uid="stylerec_installed_apps_changed")


def _installed_apps_changed(setting: str, **kwargs) -> None:
    if setting == "INSTALLED_APPS":
        from .conf import forget_app_defaults

        forget_app_defaults()
