"""UI themes: a small palette of validated colours and a font from a fixed list.

Nothing typed by an admin or an API client reaches CSS unless it passes these
validators, so a theme value can never break out of a style attribute.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# (key, label, CSS font stack). Only keys are stored; stacks come from here.
FONTS: list[tuple[str, str, str]] = [
    ("system", "System sans-serif", 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'),
    ("serif", "Classic serif", 'Georgia, "Times New Roman", serif'),
    ("humanist", "Humanist", '"Gill Sans", "Trebuchet MS", Calibri, sans-serif'),
    ("mono", "Monospace", 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace'),
    ("rounded", "Rounded", '"Nunito", "Varela Round", "Arial Rounded MT Bold", sans-serif'),
]
FONT_CHOICES = [(key, label) for key, label, _stack in FONTS]
FONT_STACKS = {key: stack for key, _label, stack in FONTS}

# The CSS custom properties a theme emits, with the Style field behind each.
THEME_FIELDS: list[tuple[str, str]] = [
    ("primary", "theme_primary"),
    ("accent", "theme_accent"),
    ("background", "theme_background"),
    ("surface", "theme_surface"),
    ("text", "theme_text"),
]

DEFAULT_THEME = {
    "primary": "#1f4e79",
    "accent": "#e07a2f",
    "background": "#f7f5f2",
    "surface": "#ffffff",
    "text": "#1d1d1f",
    "font": "system",
}


def validate_hex_colour(value: str) -> None:
    if not isinstance(value, str) or not HEX_COLOUR.match(value):
        raise ValidationError(
            _("%(value)s is not a colour: use # and six hex digits, like #1f4e79."),
            code="invalid_colour",
            params={"value": value},
        )


def validate_font(value: str) -> None:
    if value not in FONT_STACKS:
        raise ValidationError(
            _("%(value)s is not one of the available fonts."),
            code="invalid_font",
            params={"value": value},
        )


def css_variables(theme: dict[str, str]) -> dict[str, str]:
    """``--stylerec-*`` properties for a theme, re-validating every value.

    A value that fails validation (for example one written to the database
    around the model's validators) falls back to the default theme.
    """
    out: dict[str, str] = {}
    for key, _field in THEME_FIELDS:
        value = theme.get(key, "")
        out[f"--stylerec-{key}"] = value if HEX_COLOUR.match(value or "") else DEFAULT_THEME[key]
    font = theme.get("font", "")
    out["--stylerec-font"] = FONT_STACKS.get(font, FONT_STACKS[DEFAULT_THEME["font"]])
    return out
