"""UI themes: a small palette of validated colours and a font from a fixed list.

Nothing typed by an admin or an API client reaches CSS unless it passes these
validators, so a theme value can never break out of a style attribute.

Every theme the plugin emits meets WCAG 2.2 AA contrast (4.5:1 for text, 3:1 for
the boundaries of controls), whatever the admin picked:

- the five stored colours are the brand's *fills* (header, buttons, page, cards);
- the colours used *on* them and *as text* are derived here: ``--stylerec-on-primary``
  and ``--stylerec-on-accent`` (labels on the fills), ``--stylerec-primary-text`` and
  ``--stylerec-accent-text`` (links and prices on the page and on cards),
  ``--stylerec-muted-text`` (secondary text) and ``--stylerec-border`` (input and pill
  outlines, focus rings). Each is the stored colour when that already passes, else the
  nearest shade of it that does;
- the text colour itself must pass on the page and card colours: ``validate_palette``
  refuses one that does not (with a passing suggestion), and ``css_variables`` corrects
  one written around the validators.

``contrast_checks`` lists every pair with its ratio for the admin's live preview
(``static/stylerec/admin/style-form.js`` computes the same numbers in the browser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# WCAG 2.2 success criteria 1.4.3 (text) and 1.4.11 (user-interface components).
TEXT_CONTRAST = 4.5
UI_CONTRAST = 3.0
# Derived colours aim a little above the threshold, so rounding to 8-bit channels
# (and a browser's colour maths) never lands them just under it.
_MARGIN = 0.05

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

# The stored colours a theme is made from, with the Style field behind each.
THEME_FIELDS: list[tuple[str, str]] = [
    ("primary", "theme_primary"),
    ("accent", "theme_accent"),
    ("background", "theme_background"),
    ("surface", "theme_surface"),
    ("text", "theme_text"),
]

# Properties derived from the stored colours (see the module docstring).
DERIVED_PROPERTIES: tuple[str, ...] = (
    "on-primary",
    "on-accent",
    "on-background",
    "on-surface",
    "primary-text",
    "accent-text",
    "muted-text",
    "border",
)

DEFAULT_THEME = {
    "primary": "#1f4e79",
    "accent": "#e07a2f",
    "background": "#f7f5f2",
    "surface": "#ffffff",
    "text": "#1d1d1f",
    "font": "system",
}

WHITE = "#ffffff"
BLACK = "#000000"


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


# --- colour maths (WCAG 2.x relative luminance and contrast ratio) ---------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(channel))):02x}" for channel in rgb)


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (_linear(channel) for channel in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _mix(colour: str, towards: str, amount: float) -> str:
    start, end = _rgb(colour), _rgb(towards)
    return _hex(tuple(a + (b - a) * amount for a, b in zip(start, end, strict=True)))


def _worst(colour: str, backdrops: tuple[str, ...]) -> float:
    return min(contrast_ratio(colour, backdrop) for backdrop in backdrops)


def nearest_passing(colour: str, backdrops: tuple[str, ...], minimum: float) -> str:
    """``colour`` if it reaches ``minimum`` on every backdrop, else its nearest shade that does.

    The shade is the colour mixed towards black (light backdrops) or white (dark ones)
    just far enough; hue is kept, only lightness moves. When no shade of the colour can
    pass on all backdrops (a very light and a very dark one), black or white is returned,
    whichever does better.
    """
    if _worst(colour, backdrops) >= minimum:
        return colour
    target = minimum + _MARGIN
    dark_backdrops = sum(relative_luminance(b) for b in backdrops) / len(backdrops) < 0.18
    for towards in ((WHITE, BLACK) if dark_backdrops else (BLACK, WHITE)):
        if _worst(towards, backdrops) < target:
            continue
        low, high = 0.0, 1.0
        for _step in range(18):
            middle = (low + high) / 2
            if _worst(_mix(colour, towards, middle), backdrops) >= target:
                high = middle
            else:
                low = middle
        return _mix(colour, towards, high)
    return max((WHITE, BLACK), key=lambda candidate: _worst(candidate, backdrops))


def on_colour(fill: str, preferred: str = "") -> str:
    """The colour for text on ``fill``: ``preferred`` (the theme's text) or white when it
    passes 4.5:1, else black or white, whichever contrasts more (one always reaches 4.58:1)."""
    for candidate in (WHITE, preferred):
        if candidate and contrast_ratio(candidate, fill) >= TEXT_CONTRAST:
            return candidate
    return max((WHITE, BLACK), key=lambda candidate: contrast_ratio(candidate, fill))


# --- the emitted theme -----------------------------------------------------------------------


def _clean_colours(theme: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, _field in THEME_FIELDS:
        value = theme.get(key, "")
        out[key] = value.lower() if isinstance(value, str) and HEX_COLOUR.match(value) else DEFAULT_THEME[key]
    return out


@lru_cache(maxsize=256)
def _derive(primary: str, accent: str, background: str, surface: str, text: str) -> dict[str, str]:
    page = (background, surface)
    text = nearest_passing(text, page, TEXT_CONTRAST)
    # Secondary text: the text colour a third of the way to the page, kept at 4.5:1.
    muted = nearest_passing(_mix(text, background, 0.35), page, TEXT_CONTRAST)
    return {
        "text": text,
        "on-primary": on_colour(primary, text),
        "on-accent": on_colour(accent, text),
        "on-background": nearest_passing(text, (background,), TEXT_CONTRAST),
        "on-surface": nearest_passing(text, (surface,), TEXT_CONTRAST),
        "primary-text": nearest_passing(primary, page, TEXT_CONTRAST),
        "accent-text": nearest_passing(accent, page, TEXT_CONTRAST),
        "muted-text": muted,
        "border": nearest_passing(_mix(text, background, 0.45), page, UI_CONTRAST),
    }


def accessible_colours(theme: dict[str, str]) -> dict[str, str]:
    """Stored and derived colours by property name (without ``--stylerec-``), all validated."""
    colours = _clean_colours(theme)
    derived = _derive(colours["primary"], colours["accent"], colours["background"], colours["surface"],
                      colours["text"])
    return {**colours, **derived}


def css_variables(theme: dict[str, str]) -> dict[str, str]:
    """``--stylerec-*`` properties for a theme, re-validating every value.

    A value that fails validation (for example one written to the database
    around the model's validators) falls back to the default theme; a text
    colour without enough contrast is replaced by its nearest passing shade.
    """
    out = {f"--stylerec-{name}": value for name, value in accessible_colours(theme).items()}
    font = theme.get("font", "")
    out["--stylerec-font"] = FONT_STACKS.get(font, FONT_STACKS[DEFAULT_THEME["font"]])
    return out


# --- checks for the admin --------------------------------------------------------------------


@dataclass(frozen=True)
class ContrastCheck:
    """One foreground/background pair of an emitted theme."""

    key: str
    label: str
    foreground: str  # what the theme emits
    background: str
    minimum: float
    picked: str = ""  # the stored colour the foreground comes from, when it has one

    @property
    def ratio(self) -> float:
        return contrast_ratio(self.foreground, self.background)

    @property
    def passes(self) -> bool:
        return self.ratio >= self.minimum

    @property
    def adjusted(self) -> bool:
        return bool(self.picked) and self.foreground != self.picked


def contrast_checks(theme: dict[str, str]) -> list[ContrastCheck]:
    """Every pair the shop pages use, as emitted (after derivation), with the admin's pick."""
    stored = _clean_colours(theme)
    emitted = accessible_colours(theme)
    background, surface = stored["background"], stored["surface"]
    return [
        ContrastCheck("text-background", str(_("Text on the page")), emitted["text"], background, TEXT_CONTRAST,
                      stored["text"]),
        ContrastCheck("text-surface", str(_("Text on cards")), emitted["text"], surface, TEXT_CONTRAST,
                      stored["text"]),
        ContrastCheck("muted-surface", str(_("Secondary text on cards")), emitted["muted-text"], surface,
                      TEXT_CONTRAST),
        ContrastCheck("on-primary", str(_("Header text on the primary colour")), emitted["on-primary"],
                      stored["primary"], TEXT_CONTRAST),
        ContrastCheck("on-accent", str(_("Button labels on the accent colour")), emitted["on-accent"],
                      stored["accent"], TEXT_CONTRAST),
        ContrastCheck("primary-background", str(_("Links on the page")), emitted["primary-text"], background,
                      TEXT_CONTRAST, stored["primary"]),
        ContrastCheck("primary-surface", str(_("Links on cards")), emitted["primary-text"], surface,
                      TEXT_CONTRAST, stored["primary"]),
        ContrastCheck("accent-background", str(_("Prices on the page")), emitted["accent-text"], background,
                      TEXT_CONTRAST, stored["accent"]),
        ContrastCheck("accent-surface", str(_("Prices on cards")), emitted["accent-text"], surface,
                      TEXT_CONTRAST, stored["accent"]),
        ContrastCheck("border-background", str(_("Outlines of fields and pills")), emitted["border"], background,
                      UI_CONTRAST),
    ]


def validate_palette(theme: dict[str, str]) -> None:
    """Refuse a text colour that does not reach 4.5:1 on the page and card colours.

    Text is what a shopper reads everywhere, so it is not changed silently: the error
    names the ratio and a passing shade. Other colours are brand fills and are never
    refused; the shades used on and as text are derived (see ``adjustments``).
    """
    colours = _clean_colours(theme)
    if any(not (isinstance(theme.get(key), str) and HEX_COLOUR.match(theme[key])) for key, _f in THEME_FIELDS):
        return  # the field validators report malformed colours
    page = (colours["background"], colours["surface"])
    worst = _worst(colours["text"], page)
    if worst >= TEXT_CONTRAST:
        return
    suggestion = nearest_passing(colours["text"], page, TEXT_CONTRAST)
    raise ValidationError(
        {
            "theme_text": ValidationError(
                _(
                    "Text in %(text)s reaches only %(ratio).2f:1 on the page or card colour; WCAG AA needs "
                    "4.5:1. %(suggestion)s would pass (%(new).2f:1)."
                ),
                code="low_contrast",
                params={
                    "text": colours["text"],
                    "ratio": worst,
                    "suggestion": suggestion,
                    "new": _worst(suggestion, page),
                },
            )
        }
    )


def adjustments(theme: dict[str, str]) -> list[str]:
    """Plain sentences for each stored colour the shop will not use as picked, for the admin."""
    stored = _clean_colours(theme)
    emitted = accessible_colours(theme)
    notes = []
    for role, label in (("primary", _("links and headings")), ("accent", _("prices"))):
        if emitted[f"{role}-text"] != stored[role]:
            worst = _worst(stored[role], (stored["background"], stored["surface"]))
            notes.append(
                str(
                    _(
                        "The %(role)s colour %(colour)s reaches only %(ratio).2f:1 as text, so %(use)s use "
                        "%(shade)s (%(new).2f:1); fills keep %(colour)s."
                    )
                    % {
                        "role": role,
                        "colour": stored[role],
                        "ratio": worst,
                        "use": label,
                        "shade": emitted[f"{role}-text"],
                        "new": _worst(emitted[f"{role}-text"], (stored["background"], stored["surface"])),
                    }
                )
            )
    if emitted["text"] != stored["text"]:
        notes.append(
            str(_("The text colour %(colour)s has too little contrast, so %(shade)s is shown."))
            % {"colour": stored["text"], "shade": emitted["text"]}
        )
    return notes
