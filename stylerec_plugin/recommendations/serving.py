"""Serving and training recommendations: the Django side of ``stylerec_plugin.recommender``.

Serving (:func:`recommend`) never trains. It reads the active
:class:`~stylerec_plugin.models.RecommenderModel`'s precomputed top-N lists
(cached), adjusts them for what the shopper did since the model was trained,
and fetches the products in one query, so the number of queries does not grow
with ``n``.

Training (:func:`train`, the RQ job :func:`train_job`, ``manage.py
stylerec_train``) reads interactions, style vectors and explicit picks, fits
the hybrid, writes a new model with its lists and learned style preferences,
and then swaps the active flag in one transaction. Until that commit every
request is served from the previous model: a list and the model it came from
are always read together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.core.cache import caches
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import get_product_model, settings
from ..models import (
    Interaction,
    RecommendationList,
    RecommenderModel,
    ShopperProfile,
    Style,
    StylePreference,
)
from ..models.recommendations import ModelStatus
from ..models.shoppers import InteractionKind, PreferenceSource
from ..shoppers import cache as serving_cache
from ..shoppers.identity import Shopper, personalisation_enabled

logger = logging.getLogger(__name__)

POPULAR_KEY = ""
STYLE_KEY_PREFIX = "style:"
ITEM_KEY_PREFIX = "item:"
# How many similar products each product keeps for session adjustment.
NEIGHBOURS_PER_ITEM = 20
# Session events considered per request (newest first).
SESSION_EVENTS = 50
# Learned style preferences kept per shopper.
LEARNED_STYLES_PER_SHOPPER = 3
# Models kept after a swap: the active one and the one before it, so a process
# whose cache still points at the previous model keeps serving whole lists.
MODELS_KEPT = 2


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


def _cache():
    return caches[settings.CACHE_ALIAS]


ACTIVE_CACHE_KEY = "stylerec:rec:active"


def _list_cache_key(model_id: int, shopper_key: str) -> str:
    return f"stylerec:rec:list:{model_id}:{shopper_key}"


def invalidate_cache() -> None:
    """Forget the cached active model (called after a swap commits)."""
    _cache().delete(ACTIVE_CACHE_KEY)


def active_payload() -> dict[str, Any] | None:
    """The active model's id, data cut-off, popular list, per-style lists and style names (cached).

    Two queries on a miss, none on a hit. ``None`` when no model is active.
    """
    cache = _cache()
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
    cache = _cache()
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


def _category_values(category) -> list:
    if isinstance(category, str | bytes | int) or isinstance(category, models.Model):
        category = [category]
    return [getattr(value, "pk", value) for value in category]


def _product_queryset(category=None):
    product_model = get_product_model()
    queryset = product_model._default_manager.all()
    field_name = settings.PRODUCT_CATEGORY_FIELD
    if category is not None:
        queryset = queryset.filter(**{f"{field_name}__in": _category_values(category)})
    try:
        field = product_model._meta.get_field(field_name)
    except Exception:
        field = None
    if field is not None and field.is_relation and field.many_to_one:
        queryset = queryset.select_related(field_name)
    return queryset


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
    cache = serving_cache.cache()
    key = serving_cache.session_key(shopper.key)
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
    top_weight = max(touched.values()) or 1.0
    bonus: dict[int, tuple[float, int]] = {}
    for product_id, weight in touched.items():
        for neighbour, similarity, *_rest in neighbour_lists.get(f"{ITEM_KEY_PREFIX}{product_id}", []):
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
    session_sources: set[int] = set()
    if payload is None:
        rows = []  # no model yet: popularity straight from the interactions, below
    elif not personalised:
        rows = payload["popular"]
    else:
        recent, purchased = _cached_session_events(shopper, payload["data_until"])
        rows = _shopper_list(payload["model_id"], shopper.key) or _cold_start_list(shopper, payload)
        rows = _session_adjusted(rows, recent, payload["model_id"])
        session_sources = {row[3] for row in rows[: n * 2] if row[2] == "session"}
        if settings.EXCLUDE_PURCHASED:
            excluded |= purchased
    if payload is None:
        rows = _popular_without_model(n + len(excluded))
    candidates = [row for row in rows if row[0] not in excluded]
    # With a category filter any candidate may be the one that survives it; all are
    # fetched in the same single query (lists are TOP_N long).
    head = candidates if category is not None else candidates[: n + 8]
    wanted_ids = [row[0] for row in head] + list(session_sources)
    products = _product_queryset(category).in_bulk(wanted_ids)
    names = {pk: _product_name(product) for pk, product in products.items()}
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
    style_names = payload["style_names"] if payload else {}
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
    if product is None:
        return None
    return str(getattr(product, settings.PRODUCT_NAME_FIELD, "") or product)


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


# --- training -------------------------------------------------------------------------------


@dataclass
class TrainingData:
    """What one training run read from the database, as arrays."""

    events: Any  # recommender.data.Events
    kinds: list[str]
    shown_style_ids: list[int | None]
    purchased: sp.csr_matrix
    style_inputs: Any  # recommender.style.StyleInputs
    data_until: float
    user_of_key: dict[str, int]  # signed-in shoppers' user ids, from their interactions


def read_training_data(now: datetime | None = None) -> TrainingData:
    """Interactions of shoppers who did not opt out, product/style vectors and explicit picks."""
    from ..models import ProductPhoto
    from ..recommender.data import Events, decay_factors, event_values
    from ..recommender.style import StyleInputs

    now = now or timezone.now()
    opted_out = ShopperProfile.objects.filter(personalisation_enabled=False).values("shopper_key")
    rows = list(
        Interaction.objects.exclude(shopper_key__in=opted_out)
        .filter(created_at__lte=now)
        .order_by("pk")
        .values_list("shopper_key", "product_id", "kind", "value", "style_id", "created_at", "user_id")
    )
    product_ids = list(get_product_model()._default_manager.order_by("pk").values_list("pk", flat=True))
    known_products = set(product_ids)
    rows = [row for row in rows if row[1] in known_products]
    kinds = [row[2] for row in rows]
    values = event_values(kinds, [row[3] for row in rows], settings.EVENT_WEIGHTS)
    stamps = [row[5].timestamp() for row in rows]
    events = Events.from_raw([row[0] for row in rows], [row[1] for row in rows], values, stamps, item_ids=product_ids)

    item_index = {pk: position for position, pk in enumerate(product_ids)}
    user_index = {key: position for position, key in enumerate(events.user_ids)}
    dim = 0
    vectors_by_item: dict[int, list] = {}
    for product_id, vector in ProductPhoto.objects.exclude(style_vector=None).values_list("product_id", "style_vector"):
        if product_id in item_index and isinstance(vector, list) and vector:
            vectors_by_item[item_index[product_id]] = vector
            dim = dim or len(vector)
    styles = [
        (pk, name, vector)
        for pk, name, vector in Style.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "name", "style_vector")
    ]
    dim = dim or next((len(v) for _pk, _name, v in styles if isinstance(v, list) and v), 1)
    product_vectors = np.zeros((len(product_ids), dim), dtype=np.float32)
    has_vector = np.zeros(len(product_ids), dtype=bool)
    for position, vector in vectors_by_item.items():
        if len(vector) == dim:
            product_vectors[position] = vector
            has_vector[position] = True
    style_ids = [pk for pk, _name, _vector in styles]
    style_index = {pk: position for position, pk in enumerate(style_ids)}
    style_vectors = np.zeros((len(styles), dim), dtype=np.float32)
    for position, (_pk, _name, vector) in enumerate(styles):
        if isinstance(vector, list) and len(vector) == dim:
            style_vectors[position] = vector

    # All explicit picks, matched in Python: an IN list of every shopper would be huge.
    explicit_rows = StylePreference.objects.filter(
        source=PreferenceSource.EXPLICIT, style_id__in=style_ids
    ).values_list("shopper_key", "style_id", "weight")
    explicit_triples = [
        (user_index[k], style_index[s], max(float(w), 0.0)) for k, s, w in explicit_rows if k in user_index
    ]
    explicit = sp.csr_matrix(
        (
            [w for _, _, w in explicit_triples],
            ([u for u, _, _ in explicit_triples], [s for _, s, _ in explicit_triples]),
        ),
        shape=(len(user_index), len(style_ids)),
        dtype=np.float32,
    )
    shown = [(position, style_index[row[4]]) for position, row in enumerate(rows) if row[4] in style_index]
    shown_positions = np.array([p for p, _ in shown], dtype=np.int64)
    decayed = values * decay_factors(events.timestamps, now.timestamp(), settings.DECAY_HALF_LIFE_DAYS)
    style_inputs = StyleInputs(
        product_vectors=product_vectors,
        has_vector=has_vector,
        style_vectors=style_vectors,
        style_ids=style_ids,
        explicit=explicit,
        shown_users=events.users[shown_positions] if len(shown) else np.empty(0, np.int32),
        shown_items=events.items[shown_positions] if len(shown) else np.empty(0, np.int32),
        shown_styles=np.array([s for _, s in shown], dtype=np.int32),
        shown_values=decayed[shown_positions] if len(shown) else np.empty(0),
    )
    is_purchase = np.array([kind == InteractionKind.PURCHASE for kind in kinds], dtype=bool)
    purchased = sp.csr_matrix(
        (np.ones(int(is_purchase.sum()), dtype=np.float32), (events.users[is_purchase], events.items[is_purchase])),
        shape=(events.n_users, events.n_items),
    )
    style_inputs.style_names = {pk: name for pk, name, _ in styles}
    user_of_key = {row[0]: row[6] for row in rows if row[6] is not None}
    return TrainingData(events, kinds, [row[4] for row in rows], purchased, style_inputs, now.timestamp(), user_of_key)


def _rows(items: np.ndarray, scores: np.ndarray, codes: list[str], arguments: list, product_ids: list) -> list:
    out = []
    for item, score, code, argument in zip(items.tolist(), scores.tolist(), codes, arguments, strict=True):
        if item < 0:
            break
        out.append([product_ids[item], round(float(score), 5), code, argument])
    return out


def train(
    progress: Callable[[str, int, int], None] | None = None,
    *,
    algorithm: str | None = None,
    search: bool = True,
    now: datetime | None = None,
) -> RecommenderModel:
    """Fit a new model from the current interactions and make it the active one.

    ``progress(stage, done, total)`` is called as work advances (the command
    draws a bar with it). On failure the new model is marked failed and the
    previous one stays active.
    """
    from ..recommender.collaborative import cosine_neighbours, parse_algorithms
    from ..recommender.data import aggregate
    from ..recommender.hybrid import REASON_FOR_PART, HybridRecommender, standardise
    from ..recommender.metrics import top_k

    say = progress or (lambda stage, done, total: None)
    algorithm = algorithm or settings.COLLABORATIVE_ALGORITHM
    algorithms = parse_algorithms(algorithm)
    top_n = int(settings.TOP_N)
    record = RecommenderModel.objects.create(algorithm="+".join(algorithms), status=ModelStatus.TRAINING)
    started = time.perf_counter()
    try:
        say("reading interactions", 0, 1)
        data = read_training_data(now)
        pairs = aggregate(data.events, settings.DECAY_HALF_LIFE_DAYS, now=data.data_until)
        events, product_ids = data.events, data.events.item_ids
        say("fitting", 0, 1)
        hybrid = HybridRecommender(algorithms=algorithms, style_inputs=data.style_inputs, search=search)
        if len(pairs) == 0:
            # Nothing to learn from yet: an empty model still gives the catalogue's lists.
            hybrid.search = False
            hybrid.blend_weights = {part: 1.0 / len(hybrid.parts) for part in hybrid.parts}
        elif len(np.unique(pairs.users)) < 5:
            hybrid.blend_weights = {part: 1.0 / len(hybrid.parts) for part in hybrid.parts}
        hybrid.fit(pairs, progress=lambda message: say(message, 0, 1))
        fit_seconds = time.perf_counter() - started

        exclude = data.purchased if settings.EXCLUDE_PURCHASED else None
        users = np.arange(events.n_users)
        lists: list[RecommendationList] = []
        written = 0
        batch = 512
        style_names = data.style_inputs.style_names
        style_ids = data.style_inputs.style_ids
        for start in range(0, len(users), batch):
            chunk = users[start : start + batch]
            ranking = hybrid.rank(chunk, top_n, exclude)
            for row, user in enumerate(chunk):
                codes = [REASON_FOR_PART[hybrid.parts[p]] for p in ranking.reasons[row]]
                arguments = [style_ids[s] if s >= 0 else None for s in ranking.reason_styles[row]]
                lists.append(
                    RecommendationList(
                        model=record,
                        shopper_key=events.user_ids[user],
                        items=_rows(ranking.items[row], ranking.scores[row], codes, arguments, product_ids),
                    )
                )
            # Written chunk by chunk: a big shop's lists never sit in memory all at once.
            RecommendationList.objects.bulk_create(lists)
            written += len(lists)
            lists = []
            say("ranking shoppers", min(start + batch, len(users)), len(users))
        popular_items, popular_scores = hybrid.popular_items(top_n)
        lists.append(
            RecommendationList(
                model=record,
                shopper_key=POPULAR_KEY,
                items=_rows(
                    popular_items,
                    popular_scores,
                    ["popular"] * len(popular_items),
                    [None] * len(popular_items),
                    product_ids,
                ),
            )
        )
        # Cold-start lists per style: style similarity blended with popularity.
        style_scorer = hybrid.scorers.get("style")
        if style_scorer is not None and len(style_ids):
            weights = hybrid.blend_weights
            style_weight = weights.get("style") or 0.5
            popular_weight = weights.get("popular") or 0.5
            blended = style_weight * standardise(style_scorer.style_list_scores()) + popular_weight * standardise(
                np.broadcast_to(hybrid.popularity.item_scores, (len(style_ids), events.n_items))
            )
            best = top_k(blended, top_n)
            for position, style_id in enumerate(style_ids):
                items = best[position]
                lists.append(
                    RecommendationList(
                        model=record,
                        shopper_key=f"{STYLE_KEY_PREFIX}{style_id}",
                        items=_rows(
                            items,
                            blended[position, np.maximum(items, 0)],
                            ["style"] * len(items),
                            [style_id] * len(items),
                            product_ids,
                        ),
                    )
                )
        # Similar products, for adjusting to the current session without retraining.
        if len(pairs):
            neighbours = cosine_neighbours(pairs.matrix(binary=True).T.tocsr(), NEIGHBOURS_PER_ITEM)
            for item in np.unique(pairs.items):
                start, end = neighbours.indptr[item], neighbours.indptr[item + 1]
                order = np.argsort(-neighbours.data[start:end])
                lists.append(
                    RecommendationList(
                        model=record,
                        shopper_key=f"{ITEM_KEY_PREFIX}{product_ids[item]}",
                        items=[
                            [
                                product_ids[int(neighbours.indices[start + o])],
                                round(float(neighbours.data[start + o]), 5),
                            ]
                            for o in order
                        ],
                    )
                )
        total = written + len(lists)
        say("saving lists", written, total)
        for start in range(0, len(lists), 2000):
            RecommendationList.objects.bulk_create(lists[start : start + 2000])
            say("saving lists", written + min(start + 2000, len(lists)), total)

        learned = _learned_preferences(hybrid, events.user_ids, style_ids)
        with transaction.atomic():
            record.params = {
                "algorithms": algorithms,
                "chosen": hybrid.chosen_params,
                "event_weights": settings.EVENT_WEIGHTS,
                "decay_half_life_days": settings.DECAY_HALF_LIFE_DAYS,
                "top_n": top_n,
                "exclude_purchased": bool(settings.EXCLUDE_PURCHASED),
                "data_until": data.data_until,
                "style_names": {str(k): v for k, v in style_names.items()},
            }
            record.blend_weights = hybrid.blend_weights
            record.metrics = {"validation": _plain(hybrid.validation)}
            record.n_shoppers = events.n_users
            record.n_products = events.n_items
            record.n_interactions = len(events)
            record.fit_seconds = fit_seconds
            _swap_active(record, learned, data.user_of_key)
        transaction.on_commit(invalidate_cache)
        _prune_old_models()
        say("done", 1, 1)
        return record
    except Exception as exc:
        logger.exception("recommender training failed")
        RecommenderModel.objects.filter(pk=record.pk).update(
            status=ModelStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _learned_preferences(hybrid, user_keys: list[str], style_ids: list[int]) -> dict[str, list[tuple[int, float]]]:
    from ..recommender.style import learned_preferences

    scorer = hybrid.scorers.get("style")
    if scorer is None or not style_ids or not user_keys:
        return {}
    out: dict[str, list[tuple[int, float]]] = {}
    for start in range(0, len(user_keys), 4096):
        users = np.arange(start, min(start + 4096, len(user_keys)))
        for user, prefs in zip(
            users, learned_preferences(scorer.learned_weights(users), LEARNED_STYLES_PER_SHOPPER), strict=True
        ):
            out[user_keys[user]] = [(style_ids[s], round(w, 4)) for s, w in prefs]
    return out


def _swap_active(
    record: RecommenderModel, learned: dict[str, list[tuple[int, float]]], user_ids: dict[str, int]
) -> None:
    """Inside the caller's transaction: replace learned preferences and make ``record`` the active model."""
    # Learned preferences are the recommender's own: the new model's replace all of
    # them (a shopper who opted out or has no history left keeps none).
    StylePreference.objects.filter(source=PreferenceSource.LEARNED).delete()
    opted_out = ShopperProfile.objects.filter(personalisation_enabled=False).values("shopper_key")
    RecommendationList.objects.filter(shopper_key__in=opted_out).delete()
    StylePreference.objects.bulk_create(
        [
            StylePreference(
                shopper_key=key,
                user_id=user_ids.get(key),
                style_id=style_id,
                weight=weight,
                source=PreferenceSource.LEARNED,
            )
            for key, prefs in learned.items()
            for style_id, weight in prefs
        ],
        batch_size=2000,
    )
    # Lock the active row so two trainings finishing together swap one after the other.
    list(RecommenderModel.objects.select_for_update().filter(is_active=True))
    RecommenderModel.objects.filter(is_active=True).exclude(pk=record.pk).update(is_active=False)
    record.is_active = True
    record.status = ModelStatus.READY
    record.finished_at = timezone.now()
    record.save()
    # Learned preferences were replaced in bulk (no signals): drop cached shopper styles.
    transaction.on_commit(lambda: serving_cache.bump(serving_cache.PREFERENCES_KEY))


def _prune_old_models() -> None:
    keep = list(
        RecommenderModel.objects.filter(status=ModelStatus.READY)
        .order_by("-finished_at", "-pk")
        .values_list("pk", flat=True)[:MODELS_KEPT]
    )
    RecommendationList.objects.filter(model__status=ModelStatus.READY).exclude(model_id__in=keep).delete()
    RecommendationList.objects.filter(model__status=ModelStatus.FAILED).delete()


def train_job(algorithm: str | None = None) -> int:
    """The RQ job: train and activate a model; returns its primary key."""
    return train(algorithm=algorithm).pk


def enqueue_training(algorithm: str | None = None) -> str | None:
    """Queue :func:`train_job` (see ``stylerec_plugin.queue``); returns the job id."""
    from ..queue import enqueue

    if algorithm:
        return enqueue("stylerec_plugin.recommendations.serving.train_job", algorithm)
    return enqueue("stylerec_plugin.recommendations.serving.train_job")
