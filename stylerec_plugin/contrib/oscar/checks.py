"""Whether Oscar's pages show StyleRec photos (ids W050, W051).

The app's templates override Oscar's only when it is listed before Oscar's apps in
INSTALLED_APPS; a shop with its own overrides of these templates includes the snippets
instead. Either way the template Django finds should mention StyleRec.
"""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

TEMPLATES = (
    ("oscar/catalogue/partials/product.html", "stylerec/oscar/product_image.html", "stylerec.W050"),
    ("oscar/catalogue/partials/gallery.html", "stylerec/oscar/gallery.html", "stylerec.W051"),
)


def _source(name: str) -> str | None:
    try:
        template = get_template(name)
    except TemplateDoesNotExist:
        return None
    return getattr(getattr(template, "template", template), "source", "")


@register(Tags.templates)
def check_oscar_templates(app_configs=None, **kwargs) -> list:
    problems = []
    for name, snippet, check_id in TEMPLATES:
        source = _source(name)
        if source is None or "stylerec" in source:
            continue
        problems.append(
            Warning(
                f"Oscar's {name} shows no StyleRec photo: shoppers see the original photos there.",
                hint=(
                    "List 'stylerec_plugin.contrib.oscar' before Oscar's apps in INSTALLED_APPS, or in your own"
                    f" override of {name} use {{% include \"{snippet}\" %}} (see the README's Oscar section)."
                ),
                id=check_id,
            )
        )
    return problems
