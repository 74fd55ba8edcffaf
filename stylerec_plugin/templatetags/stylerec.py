"""``{% load stylerec %}``: personalised grids, restyled photos and the shopper's theme.

Examples::

    {% stylerec_theme %}                                  {# in <head> #}
    {% stylerec_grid count=12 category=category %}
    {% stylerec_photo product %}                          {# the shopper's style #}
    {% stylerec_photo product style="great-wave" sizes="50vw" %}
    {% stylerec_photo product style="original" %}
    {% stylerec_original_link product %}                  {# the true photo at full size, one tap away #}

Every tag falls back quietly: no request, no style, a variant that is not
ready, rejected or failed — the original photo and the default theme are shown.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.template.loader import render_to_string, select_template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ..models import Style
from ..storefront.grid import GridItem, recommended_grid  # noqa: F401  (GridItem: its old home was here)
from ..storefront.photos import original_photo, photo_facts, photo_for
from ..storefront.state import storefront_state
from ..themes import DEFAULT_THEME, FONT_STACKS, HEX_COLOUR, css_variables

register = template.Library()

ORIGINAL = "original"
DEFAULT_GRID_COUNT = 12
MAX_GRID_COUNT = 100

# A CSS value this tag emits must be a hex colour or one of the fixed font stacks.
_ALLOWED_FONT_VALUES = set(FONT_STACKS.values())
# Selectors come from template authors, not shoppers, but are still kept simple.
_SAFE_SELECTOR = re.compile(r"^[A-Za-z0-9_\-\.#: \[\]=\"',>*()]{1,120}$")


GRID_IMAGE_SIZES = "(max-width: 600px) 50vw, 240px"


def _request(context) -> Any:
    return context.get("request")


def _resolve_style(value: Any) -> Style | None | str:
    """A Style, a slug or pk, "original"/False (force originals) or None (the shopper's style)."""
    if value is None or value == "":
        return None
    if value is False or value == ORIGINAL:
        return ORIGINAL
    if isinstance(value, Style):
        return value
    lookup = {"pk": value} if isinstance(value, int) or str(value).isdigit() else {"slug": str(value)}
    # An unknown or inactive style is not an error on a shop page: show originals.
    return Style.objects.filter(is_active=True, **lookup).first() or ORIGINAL


def _bounded_count(count: Any) -> int:
    try:
        value = int(count)
    except (TypeError, ValueError):
        value = DEFAULT_GRID_COUNT
    return max(1, min(value, MAX_GRID_COUNT))


@register.simple_tag(takes_context=True)
def stylerec_grid(
    context,
    count: int = DEFAULT_GRID_COUNT,
    category: Any = None,
    style: Any = None,
    template_name: str = "",
    surface: str = "grid",
    exclude: Any = (),
    sizes: str = GRID_IMAGE_SIZES,
    heading: str = "",
    personal_heading: str = "",
) -> SafeString:
    """Render the shopper's recommended products with their restyled photos.

    ``heading`` is shown above the grid; ``personal_heading`` ("Picked for you") replaces
    it only when the grid holds something personal (``Grid.personal``), so a first-time
    visitor is never told a popular list was picked for them.

    Template lookup: ``template_name`` if given, then ``stylerec/<style-slug>/grid.html``,
    then ``stylerec/grid.html``.
    """
    request = _request(context)
    chosen = _resolve_style(style)
    if exclude is None or hasattr(exclude, "pk") or isinstance(exclude, int | str):
        exclude = [exclude] if exclude not in (None, "") else []  # one product (or pk) is fine too
    grid = recommended_grid(
        request,
        _bounded_count(count),
        category=None if category in ("", None) else category,  # a missing template variable is ""
        exclude_ids=[getattr(item, "pk", item) for item in exclude],
        style=None if chosen == ORIGINAL else chosen,
        originals=chosen == ORIGINAL,
        surface=surface,
        sizes=sizes,
    )
    shown_style = grid.style
    names = [template_name] if template_name else []
    if shown_style is not None:
        names.append(f"stylerec/{shown_style.slug}/grid.html")
    names.append("stylerec/grid.html")
    chosen_template = select_template(names)
    return mark_safe(  # noqa: S308 - the template autoescapes its own output
        chosen_template.render(
            {
                "items": grid.items,
                "style": shown_style,
                "treatment": grid.state.treatment,
                "personalised": grid.state.personalise,
                "personal": grid.personal,
                "heading": (personal_heading if grid.personal and personal_heading else heading),
                "surface": surface,
                "request": request,
            }
            # No RequestContext: a project's context processors would cost queries per grid.
        )
    )


@register.simple_tag(takes_context=True)
def stylerec_photo(
    context,
    product: Any,
    style: Any = None,
    sizes: str = "",
    css_class: str = "",
    loading: str = "lazy",
    alt: str = "",
) -> SafeString:
    """One product photo in ``style`` (or the shopper's), falling back to the original."""
    if product is None:
        return mark_safe("")
    chosen = _resolve_style(style)
    if chosen == ORIGINAL:
        photo = photo_for(product, None)
    else:
        state = storefront_state(_request(context))
        photo = photo_for(product, chosen or state.style, fallback_style=None if chosen else state.fallback_style)
    if alt:
        photo.alt = alt
    return mark_safe(  # noqa: S308 - the template autoescapes its own output
        render_to_string(
            "stylerec/photo.html",
            {
                "photo": photo,
                "sizes": sizes,
                "css_class": css_class,
                "loading": loading if loading in {"lazy", "eager"} else "lazy",
            },
        )
    )


def _theme_declarations(style: Style | None) -> str:
    values = css_variables(style.theme if style is not None else DEFAULT_THEME)
    lines = []
    for name, value in values.items():
        # Belt and braces: css_variables already re-validates; check once more
        # right where the text enters the page.
        if name == "--stylerec-font":
            if value not in _ALLOWED_FONT_VALUES:
                continue
        elif not HEX_COLOUR.fullmatch(value) or "\n" in value:
            continue
        lines.append(f"{name}: {value};")
    return " ".join(lines)


def _theme_style(context, style: Any) -> Style | None:
    chosen = _resolve_style(style)
    if chosen == ORIGINAL:
        return None
    if chosen is not None:
        return chosen
    return storefront_state(_request(context)).style


@register.simple_tag(takes_context=True)
def stylerec_theme(context, style: Any = None, selector: str = ":root") -> SafeString:
    """A ``<style>`` element with ``--stylerec-*`` custom properties for the shopper's style."""
    if not _SAFE_SELECTOR.match(selector or "") or "<" in selector:
        selector = ":root"
    chosen = _theme_style(context, style)
    slug = chosen.slug if chosen is not None else ORIGINAL
    # Values are validated hex colours and fixed font stacks; "<" cannot occur.
    css = f"{selector} {{ {_theme_declarations(chosen)} }}"
    return format_html('<style id="stylerec-theme" data-stylerec-style="{}">{}</style>', slug, mark_safe(css))


@register.simple_tag(takes_context=True)
def stylerec_theme_inline(context, style: Any = None) -> str:
    """The same properties for a ``style="..."`` attribute (escaped by the template)."""
    return _theme_declarations(_theme_style(context, style))


@register.simple_tag(takes_context=True)
def stylerec_current_style(context) -> Style | None:
    """``{% stylerec_current_style as style %}``: the style this page follows, or None."""
    return storefront_state(_request(context)).style


@register.simple_tag
def stylerec_original_link(product: Any, text: str = "", css_class: str = "") -> SafeString:
    """A link to the product's own photo at full size: the file as the shop uploaded it.

    A restyled photo stands in for the product's own, so a shopper must be able to
    check the real colours in one tap; a plain link is keyboard- and screen-reader
    friendly and works without JavaScript. Nothing is rendered when there is no photo.
    """
    if product is None:
        return mark_safe("")
    facts = photo_facts([product.pk]).get(product.pk)
    photo = original_photo(product, (facts.width, facts.height) if facts is not None else None)
    if not photo.url:
        return mark_safe("")
    return mark_safe(  # noqa: S308 - the template autoescapes its own output
        render_to_string(
            "stylerec/original_link.html", {"photo": photo, "text": text, "css_class": css_class}
        )
    )
