"""The readable half of a shopper's data export: names, dates and plain words.

A shopper who downloads their data should be able to read it without knowing the
plugin's tables: which styles they chose or were guessed for them, what they looked
at, added to the cart or bought, in which style the photo was shown, which tests
they were part of. The complete rows follow under ``all_records`` (see
:func:`~.privacy.export_shopper_data`), so nothing is left out.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    ExperimentAssignment,
    ExperimentExposure,
    Interaction,
    RecommendationList,
    Style,
    StylePreference,
)
from ..models.shoppers import InteractionKind, PreferenceSource
from ..products import get_product_adapter
from .identity import Shopper, personalisation_enabled

# Every event kind in the words a shopper would use.
EVENT_WORDS = {
    InteractionKind.VIEW: gettext_lazy("You looked at this product"),
    InteractionKind.CLICK: gettext_lazy("You clicked on this product"),
    InteractionKind.CART: gettext_lazy("You added this product to your cart"),
    InteractionKind.PURCHASE: gettext_lazy("You bought this product"),
    InteractionKind.RATING: gettext_lazy("You rated this product"),
}


def when(value: datetime | None) -> str:
    """A date and time in the shop's language and time zone ("Dec. 2, 2026, 2:23 a.m.")."""
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "DATETIME_FORMAT")


def explanation() -> list[str]:
    return [
        _("This file holds everything this shop's style and recommendation feature stores about you."),
        _("“your_styles” are the picture styles you chose, or that we guessed from what you did."),
        _("“your_activity” is what you looked at, put in your cart, bought or rated, newest first, "
          "and whether the photo was shown in a style or as the original."),
        _("“experiments” are tests of the shop you took part in, and the group you were in."),
        _("“all_records” repeats every stored row as it is kept, for completeness."),
        _("You can delete all of it on the “Your data” page; orders and your account belong to the shop "
          "and are not part of this file."),
    ]


def _style_names(style_ids: set[int]) -> dict[int, str]:
    styles = Style.objects.filter(pk__in=style_ids).prefetch_related("translations").defer("style_vector")
    return {style.pk: style.display_name for style in styles}


def _styles(shopper: Shopper) -> list[dict[str, Any]]:
    prefs = list(
        StylePreference.objects.filter(shopper_key=shopper.key).order_by("source", "-weight").values(
            "style_id", "source", "weight", "updated_at"
        )
    )
    names = _style_names({row["style_id"] for row in prefs})
    explicit = [row for row in prefs if row["source"] == PreferenceSource.EXPLICIT]
    out = []
    for row in prefs:
        if row["source"] == PreferenceSource.EXPLICIT:
            how = _("Your chosen style") if row is explicit[0] else _("A style you like")
        else:
            how = _("Guessed from what you did")
        out.append({"style": names.get(row["style_id"], _("a style that was removed")), "how": how,
                    "since": when(row["updated_at"])})
    return out


def _activity(shopper: Shopper) -> list[dict[str, Any]]:
    rows = list(
        Interaction.objects.filter(shopper_key=shopper.key).order_by("-created_at", "-pk").values(
            "product_id", "kind", "value", "style_id", "created_at"
        )
    )
    adapter = get_product_adapter()
    products = adapter.in_bulk({row["product_id"] for row in rows})
    styles = _style_names({row["style_id"] for row in rows if row["style_id"]})
    out = []
    for row in rows:
        product = products.get(row["product_id"])
        entry = {
            "when": when(row["created_at"]),
            "what": str(EVENT_WORDS.get(row["kind"], row["kind"])),
            "product": adapter.name(product) if product is not None else _("a product no longer sold"),
            "photo_shown": (
                _("in the %(style)s style") % {"style": styles[row["style_id"]]}
                if row["style_id"] in styles
                else _("the original photo")
            ),
        }
        if row["value"] is not None:
            entry["rating"] = _("%(stars)s out of 5") % {"stars": formats.number_format(row["value"], 0)}
        out.append(entry)
    return out


def _experiments(shopper: Shopper) -> list[dict[str, Any]]:
    shown = Counter(
        ExperimentExposure.objects.filter(shopper_key=shopper.key).values_list("experiment_id", flat=True)
    )
    assignments = ExperimentAssignment.objects.filter(shopper_key=shopper.key).select_related("experiment", "arm")
    return [
        {
            "experiment": assignment.experiment.name,
            "your_group": assignment.arm.name,
            "since": when(assignment.assigned_at),
            "times_products_were_shown_to_you": shown.get(assignment.experiment_id, 0),
        }
        for assignment in assignments.order_by("assigned_at")
    ]


def readable_export(shopper: Shopper) -> dict[str, Any]:
    """The export's readable sections, in the active language."""
    lists = RecommendationList.objects.filter(shopper_key=shopper.key).values_list("items", "model__created_at")
    return {
        "about_this_file": explanation(),
        "exported": when(timezone.now()),
        "who": _("a signed-in customer") if shopper.user_id else _("a visitor without an account, known by a cookie"),
        "personalisation": _("on: photos and suggestions follow your styles and activity")
        if personalisation_enabled(shopper)
        else _("off: you see original photos and popular lists"),
        "your_styles": _styles(shopper),
        "your_activity": _activity(shopper),
        "experiments": _experiments(shopper),
        "suggestion_lists": [
            _("%(count)d products suggested for you, worked out on %(date)s")
            % {"count": len(items or []), "date": when(created)}
            for items, created in lists
        ],
    }
