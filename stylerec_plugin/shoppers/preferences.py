"""A shopper's styles: explicit picks beat what the recommender learned.

``shopper_style()`` is called by every storefront surface (grid, photo and
theme tags, API), so it is one query and is memoised per request by the
callers that have a request (see ``style_for_request``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ..models import Style, StylePreference
from ..models.shoppers import PreferenceSource
from .cache import cached, forget_style_and_events, style_key
from .identity import Shopper

# Where a request caches its shopper's style (None is a valid cached answer).
_REQUEST_CACHE_ATTR = "_stylerec_style_cache"
_MISSING = object()


def shopper_styles(shopper: Shopper | None) -> list[StylePreference]:
    """The shopper's preferences on active styles, best first: explicit picks, then learned ones."""
    if shopper is None:
        return []
    prefs = (
        StylePreference.objects.filter(shopper_key=shopper.key, style__is_active=True)
        .select_related("style")
        .order_by("-weight", "style__sort_order", "style__name")
    )
    # Explicit first whatever the weights: a shopper's own choice beats a guess.
    return sorted(prefs, key=lambda pref: pref.source != PreferenceSource.EXPLICIT)


def shopper_style(shopper: Shopper | None) -> Style | None:
    """The top explicit pick, else the top learned style, else None.

    Cached across requests (see :mod:`.cache`); one query on a miss.
    """
    if shopper is None:
        return None
    return cached(style_key(shopper.key), lambda: _query_shopper_style(shopper))


def _query_shopper_style(shopper: Shopper) -> Style | None:
    pref = (
        StylePreference.objects.filter(shopper_key=shopper.key, style__is_active=True)
        .select_related("style")
        # The 100-number style vector is for the recommender; every page asks for
        # this row, so it is not fetched here.
        .defer("style__style_vector")
        # Its translations come along (and are cached with it): alt texts and pills use display_name.
        .prefetch_related("style__translations")
        # "explicit" sorts before "learned" alphabetically; the ordering is spelled
        # out with a conditional so it does not depend on that accident.
        .order_by(_explicit_first(), "-weight", "style__sort_order", "style__name")
        .first()
    )
    return pref.style if pref is not None else None


def _explicit_first():
    from django.db.models import Case, IntegerField, Value, When

    return Case(
        When(source=PreferenceSource.EXPLICIT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def explicit_styles(shopper: Shopper | None) -> list[Style]:
    """The styles the shopper picked themselves, in their order of preference."""
    if shopper is None:
        return []
    prefs = (
        StylePreference.objects.filter(shopper_key=shopper.key, source=PreferenceSource.EXPLICIT)
        .select_related("style")
        .order_by("-weight", "style__sort_order", "style__name")
    )
    return [pref.style for pref in prefs]


@transaction.atomic
def set_explicit_styles(shopper: Shopper, styles: Iterable[Style]) -> None:
    """Replace the shopper's explicit picks; the first style is the favourite.

    Learned preferences are left alone (the recommender owns them); an empty
    list clears the picks, so the shopper falls back to what was learned.
    """
    ordered: list[Style] = []
    for style in styles:
        if style.pk not in {s.pk for s in ordered}:
            ordered.append(style)
    StylePreference.objects.filter(shopper_key=shopper.key, source=PreferenceSource.EXPLICIT).exclude(
        style__in=[s.pk for s in ordered]
    ).delete()
    count = len(ordered)
    for position, style in enumerate(ordered):
        # Weights 1.0, then lower for later picks, so order survives a round trip.
        StylePreference.objects.update_or_create(
            shopper_key=shopper.key,
            style=style,
            source=PreferenceSource.EXPLICIT,
            defaults={"weight": round(1.0 - position / (count + 1), 6), "user_id": shopper.user_id},
        )
    transaction.on_commit(lambda: forget_style_and_events(shopper.key))


# --- trying a style: for this session only, never recorded as a choice --------------------

TRIAL_SESSION_KEY = "stylerec_trial_style"


def try_style(request, style: Style | None) -> None:
    """Show the shop in ``style`` for the rest of this session without recording a choice.

    Trying all eight styles must not tell the recommender the shopper chose eight: a
    trial lives in the session only, beats the shopper's own pick while it lasts, and
    ends with :func:`end_trial` (or the session). ``None`` ends it too.
    """
    session = getattr(request, "session", None)
    if session is None:
        return
    if style is None:
        session.pop(TRIAL_SESSION_KEY, None)
    else:
        session[TRIAL_SESSION_KEY] = style.pk
    forget_request_style(request)


def end_trial(request) -> None:
    """Back to the shopper's own style (or originals)."""
    try_style(request, None)


def trial_style(request) -> Style | None:
    """The style this session is trying, if it is still active (one query, only while trying)."""
    session = getattr(request, "session", None)
    pk = session.get(TRIAL_SESSION_KEY) if session is not None else None
    if not isinstance(pk, int):
        return None
    return Style.objects.filter(pk=pk, is_active=True).defer("style_vector").prefetch_related("translations").first()


def style_for_request(request, shopper: Shopper | None) -> Style | None:
    """The style a request's pages follow: a style being tried, else ``shopper_style``.

    Memoised on the request, so a page's tags share one query.
    """
    if request is None:
        return shopper_style(shopper)
    cache = getattr(request, _REQUEST_CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(request, _REQUEST_CACHE_ATTR, cache)
    key = shopper.key if shopper is not None else None
    cached = cache.get(key, _MISSING)
    if cached is _MISSING:
        cached = trial_style(request) or shopper_style(shopper)
        cache[key] = cached
    return cached


def forget_request_style(request) -> None:
    """Drop the memo after the shopper's picks change within the request."""
    if request is not None and hasattr(request, _REQUEST_CACHE_ATTR):
        delattr(request, _REQUEST_CACHE_ATTR)
