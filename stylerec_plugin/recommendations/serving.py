"""Serving recommendations: the per-request side of ``stylerec_plugin.recommender``.

:func:`recommend` never trains. It reads the active
:class:`~stylerec_plugin.models.RecommenderModel`'s precomputed top-N lists
(cached), adjusts them for what the shopper did since the model was trained,
and fetches the products in one query, so the number of queries does not grow
with ``n``. Training (:mod:`.training`) writes those lists in a worker; a list and
the model it came from are always read together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from ..conf import get_cache, settings
from ..models import Interaction, RecommendationList, RecommenderModel, ShopperProfile, StylePreference
from ..models.shoppers import InteractionKind
from ..products import get_product_adapter
from ..shoppers.cache import session_key
from ..shoppers.identity import Shopper, personalisation_enabled

POPULAR_KEY = ""
STYLE_KEY_PREFIX = "style:"
ITEM_KEY_PREFIX = "item:"
# Session events considered per request (newest first).
SESSION_EVENTS = 50
# How similar a product the shop hand-picked for another counts (the top of the similarity scale).
HAND_PICKED_SIMILARITY = 1.0
# Style preferences kept per shopper (training writes this many learned ones; a cold
# shopper's list merges this many of their picks).
LEARNED_STYLES_PER_SHOPPER = 3


@dataclass(frozen=True)
class Recommendation:
    product: models.Model
    score: float
    reason: str
    reason_code: str


def reason_text(code: str, style_name: str | None = None, product_name: str | None = None) -> str:
    """A short reason a shopper can read."""
    if code == "style" and style_name:
        return _("Matches your %(style)s style") % {"style": style_name}
    if code == "style":
        return _("Matches your style")
    if code == "similar_shoppers":
        return _("Shoppers with similar taste liked this")
    if code == "session" and product_name:
        return _("Because you looked at %(product)s") % {"product": product_name}
    if code == "session":
        return _("Because of what you looked at today")
    if code == "more":
        return _("More in this category")
    return _("Popular with other shoppers")


# --- cache ----------------------------------------------------------------------------------


ACTIVE_CACHE_KEY = "stylerec:rec:active"


def _list_cache_key(model_id: int, shopper_key: str) -> str:
    return f"stylerec:rec:list:{model_id}:{shopper_key}"


def invalidate_cache() -> None:
    """Forget the cached active model (called after a swap commits)."""
    get_cache().delete(ACTIVE_CACHE_KEY)


def active_payload() -> dict[str, Any] | None:
    """The active model's id, data cut-off, popular list, per-style lists and style names (cached).

    Two queries on a miss, none on a hit. ``None`` when no model is active.
    """
    cache = get_cache()
    payload = cache.get(ACTIVE_CACHE_KEY)
    if payload is not None:
        return payload or None
    model = RecommenderModel.objects.filter(is_active=True).values("pk", "params").first()
    if model is None:
        cache.set(ACTIVE_CACHE_KEY, {}, settings.CACHE_TIMEOUT)
        return None
    shared = dict(
        RecommendationList.objects.filter(model_id=model["pk"])
        .filter(Q(shopper_key=POPULAR_KEY) | Q(shopper_key__startswith=STYLE_KEY_PREFIX))
        .values_list("shopper_key", "items")
    )
    params = model["params"] or {}
    payload = {
        "model_id": model["pk"],
        "data_until": params.get("data_until"),
        "popular": shared.get(POPULAR_KEY, []),
        "styles": {
            int(key[len(STYLE_KEY_PREFIX) :]): items
            for key, items in shared.items()
            if key.startswith(STYLE_KEY_PREFIX)
        },
        "style_names": {int(k): v for k, v in (params.get("style_names") or {}).items()},
    }
    cache.set(ACTIVE_CACHE_KEY, payload, settings.CACHE_TIMEOUT)
    return payload


def _shopper_list(model_id: int, shopper_key: str) -> list:
    cache = get_cache()
    key = _list_cache_key(model_id, shopper_key)
    items = cache.get(key)
    if items is None:
        items = (
            RecommendationList.objects.filter(model_id=model_id, shopper_key=shopper_key)
            .values_list("items", flat=True)
            .first()
        ) or []
        # An empty list is cached too: a cold shopper must not cost a query per request.
        cache.set(key, items, settings.CACHE_TIMEOUT)
    return items


# --- serving --------------------------------------------------------------------------------


def _product_queryset(category=None) -> models.QuerySet:
    """The products a shopper may be recommended, in ``category`` when given, ready for a grid."""
    products = get_product_adapter()
    queryset = products.visible()
    if category is not None:
        queryset = products.category_filter(queryset, category)
    return products.for_listing(queryset)


def _session_events(shopper: Shopper, since: float | None) -> tuple[list[tuple[int, str]], set[int]]:
    """Events after the model's cut-off (newest first) and every purchased product, in one query."""
    condition = Q(kind=InteractionKind.PURCHASE)
    cutoff = datetime.fromtimestamp(since, tz=UTC) if since is not None else None
    if cutoff is not None:
        condition |= Q(created_at__gt=cutoff)
    rows = (
        Interaction.objects.filter(shopper_key=shopper.key)
        .filter(condition)
        .order_by("-created_at")
        .values_list("product_id", "kind", "created_at")
    )
    recent: list[tuple[int, str]] = []
    purchased: set[int] = set()
    for product_id, kind, created_at in rows:
        if kind == InteractionKind.PURCHASE:
            purchased.add(product_id)
        if cutoff is not None and created_at > cutoff and len(recent) < SESSION_EVENTS:
            recent.append((product_id, kind))
    return recent, purchased


def _cached_session_events(shopper: Shopper, since: float | None) -> tuple[list[tuple[int, str]], set[int]]:
    """``_session_events`` cached until the shopper's next interaction (or a new model)."""
    cache = get_cache()
    key = session_key(shopper.key)
    entry = cache.get(key)
    if entry is None or entry[0] != since:
        recent, purchased = _session_events(shopper, since)
        entry = (since, recent, purchased)
        cache.set(key, entry, settings.CACHE_TIMEOUT)
    return entry[1], entry[2]


def _cold_start_list(shopper: Shopper, payload: dict) -> list:
    """Style-based for a shopper who picked styles (one query), else the popular list."""
    picks = list(
        StylePreference.objects.filter(shopper_key=shopper.key, style__is_active=True)
        .order_by("source", "-weight")  # "explicit" < "learned"
        .values_list("style_id", "weight")[:LEARNED_STYLES_PER_SHOPPER]
    )
    merged: dict[int, list] = {}
    for style_id, weight in picks:
        for rank, (product_id, _score, code, argument) in enumerate(payload["styles"].get(style_id, [])):
            # Rank-based merge so one style's scale does not swamp another's.
            value = float(weight) / (rank + 1.0)
            best = merged.get(product_id)
            if best is None or value > best[1]:
                merged[product_id] = [product_id, value, code, argument]
            else:
                best[1] += value * 0.1
    if not merged:
        return payload["popular"]
    return sorted(merged.values(), key=lambda row: -row[1])


def _session_adjusted(base: list, recent: list[tuple[int, str]], model_id: int) -> list:
    """Blend the precomputed list with neighbours of what the shopper touched since training (one query)."""
    if not recent:
        return base
    weights = settings.EVENT_WEIGHTS
    touched: dict[int, float] = {}
    for product_id, kind in recent:
        touched[product_id] = touched.get(product_id, 0.0) + float(weights.get(kind, 0.0))
    neighbour_lists = dict(
        RecommendationList.objects.filter(
            model_id=model_id, shopper_key__in=[f"{ITEM_KEY_PREFIX}{pk}" for pk in touched]
        ).values_list("shopper_key", "items")
    )
    hand_picked = get_product_adapter().hand_picked(list(touched))
    top_weight = max(touched.values()) or 1.0
    bonus: dict[int, tuple[float, int]] = {}
    for product_id, weight in touched.items():
        # The shop's hand-picked companions count as the most similar products there are.
        picked = [(pk, HAND_PICKED_SIMILARITY) for pk in hand_picked.get(product_id, [])]
        for neighbour, similarity, *_rest in [*picked, *neighbour_lists.get(f"{ITEM_KEY_PREFIX}{product_id}", [])]:
            value = weight / top_weight * float(similarity)
            total, source = bonus.get(neighbour, (0.0, product_id))
            bonus[neighbour] = (total + value, source if total >= value else product_id)
    if not bonus:
        return base
    scores = [row[1] for row in base]
    low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
    span = (high - low) or 1.0
    top_bonus = max(total for total, _ in bonus.values()) or 1.0
    merged: dict[int, list] = {}
    for product_id, score, code, argument in base:
        merged[product_id] = [product_id, (score - low) / span, code, argument]
    for product_id, (total, source) in bonus.items():
        # Session interest counts as much as the whole precomputed range: what the
        # shopper is doing now is the freshest signal there is.
        extra = total / top_bonus
        row = merged.get(product_id)
        if row is None:
            merged[product_id] = [product_id, extra, "session", source]
        else:
            if extra >= row[1]:
                row[2], row[3] = "session", source
            row[1] += extra
    return sorted(merged.values(), key=lambda row: -row[1])


def recommend(
    shopper: Shopper | None,
    n: int = 24,
    *,
    category=None,
    exclude_ids: Iterable[int] = (),
    personalised: bool | None = None,
) -> list[Recommendation]:
    """Up to ``n`` products for ``shopper``, best first, each with a score and a reason.

    ``personalised=None`` follows the shopper's consent; ``False`` gives the
    popular list. The number of queries is constant whatever ``n`` is.
    """
    if n <= 0:
        return []
    if personalised is None:
        personalised = shopper is not None and personalisation_enabled(shopper)
    personalised = bool(personalised and shopper is not None)
    payload = active_payload()
    excluded = {int(pk) for pk in exclude_ids}
    rows, session_sources, purchased = _ranked_rows(shopper if personalised else None, payload, n)
    excluded |= purchased
    if payload is None:
        rows = _popular_without_model(n + len(excluded))
        if personalised:
            rows, session_sources = _hand_picked_first(shopper, rows)
    candidates = [row for row in rows if row[0] not in excluded]
    products = _fetch_products(candidates, session_sources, category, excluded, n)
    return _with_reasons(candidates, products, payload["style_names"] if payload else {}, n)


def _ranked_rows(shopper: Shopper | None, payload: dict | None, n: int) -> tuple[list, set[int], set[int]]:
    """The ranked rows for a personalised ``shopper`` (None: the popular list), the products
    session reasons point at, and the purchases to leave out."""
    if payload is None:
        return [], set(), set()  # no model yet: the caller ranks by interactions
    if shopper is None:
        return payload["popular"], set(), set()
    recent, purchased = _cached_session_events(shopper, payload["data_until"])
    rows = _shopper_list(payload["model_id"], shopper.key) or _cold_start_list(shopper, payload)
    rows = _session_adjusted(rows, recent, payload["model_id"])
    session_sources = {row[3] for row in rows[: n * 2] if row[2] == "session"}
    return rows, session_sources, (purchased if settings.EXCLUDE_PURCHASED else set())


def _fetch_products(candidates: list, session_sources: set[int], category, excluded: set[int], n: int) -> dict:
    """The candidates' products (and those session reasons name) in one query, topped up from the category."""
    # With a category filter any candidate may be the one that survives it; all are
    # fetched in the same single query (lists are TOP_N long).
    head = candidates if category is not None else candidates[: n + 8]
    wanted_ids = [row[0] for row in head] + list(session_sources)
    products = _product_queryset(category).in_bulk(wanted_ids)
    if category is not None or len([r for r in candidates if r[0] in products]) < n:
        # The list ran short (category filter, a deleted product): fill with other
        # products of the category, one query.
        have = {row[0] for row in candidates if row[0] in products}
        missing = n - len(have)
        if missing > 0:
            extra_qs = _product_queryset(category).exclude(pk__in=have | excluded).order_by("pk")[:missing]
            for product in extra_qs:
                products[product.pk] = product
                candidates.append([product.pk, 0.0, "more", None])
    return products


def _with_reasons(candidates: list, products: dict, style_names: dict, n: int) -> list[Recommendation]:
    names = {pk: _product_name(product) for pk, product in products.items()}
    results: list[Recommendation] = []
    seen: set[int] = set()
    for product_id, score, code, argument in candidates:
        product = products.get(product_id)
        if product is None or product_id in seen:
            continue
        seen.add(product_id)
        if code == "style":
            reason = reason_text(code, style_name=style_names.get(argument))
        elif code == "session":
            reason = reason_text(code, product_name=names.get(argument) or _product_name(products.get(argument)))
        else:
            reason = reason_text(code)
        results.append(Recommendation(product=product, score=float(score), reason=reason, reason_code=code))
        if len(results) >= n:
            break
    return results


def _product_name(product) -> str | None:
    return None if product is None else get_product_adapter().name(product)


def _hand_picked_first(shopper: Shopper, rows: list) -> tuple[list, set[int]]:
    """Before the first model: what the shop hand-picked for the shopper's latest products, then ``rows``."""
    latest = list(
        Interaction.objects.filter(shopper_key=shopper.key)
        .order_by("-created_at")
        .values_list("product_id", flat=True)[:SESSION_EVENTS]
    )
    picked = get_product_adapter().hand_picked(dict.fromkeys(latest)) if latest else {}
    first: dict[int, list] = {}
    for source in dict.fromkeys(latest):
        for product_id in picked.get(source, []):
            first.setdefault(product_id, [product_id, HAND_PICKED_SIMILARITY, "session", source])
    if not first:
        return rows, set()
    return [*first.values(), *(row for row in rows if row[0] not in first)], {row[3] for row in first.values()}


def _popular_without_model(n: int) -> list:
    """Before the first training: products most shoppers interacted with (one query)."""
    opted_out = ShopperProfile.objects.filter(personalisation_enabled=False).values("shopper_key")
    rows = (
        Interaction.objects.exclude(shopper_key__in=opted_out)
        .values("product_id")
        .annotate(shoppers=models.Count("shopper_key", distinct=True))
        .order_by("-shoppers", "product_id")[: max(n, 1)]
    )
    return [[row["product_id"], float(row["shoppers"]), "popular", None] for row in rows]
