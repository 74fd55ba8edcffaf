"""Training recommendations: the worker-side of ``stylerec_plugin.recommender``.

:func:`train` (the RQ job :func:`train_job`, ``manage.py stylerec_train``) reads
interactions, style vectors and explicit picks, fits the hybrid, writes a new model
with its lists (built by :mod:`stylerec_plugin.recommender.lists`) and learned style
preferences, and then swaps the active flag in one transaction. Until that commit
every request is served from the previous model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.db import transaction
from django.utils import timezone

from ..conf import settings
from ..models import Interaction, RecommendationList, RecommenderModel, ShopperProfile, Style, StylePreference
from ..models.recommendations import ModelStatus
from ..models.shoppers import InteractionKind, PreferenceSource
from ..products import get_product_adapter
from ..shoppers.cache import PREFERENCES_KEY, bump
from .serving import ITEM_KEY_PREFIX, LEARNED_STYLES_PER_SHOPPER, POPULAR_KEY, STYLE_KEY_PREFIX, invalidate_cache

logger = logging.getLogger(__name__)

TRAIN_JOB = "stylerec_plugin.recommendations.training.train_job"
# How many similar products each product keeps for session adjustment.
NEIGHBOURS_PER_ITEM = 20
# Models kept after a swap: the active one and the one before it, so a process
# whose cache still points at the previous model keeps serving whole lists.
MODELS_KEPT = 2
# Lists written per bulk insert.
SAVE_BATCH = 2000


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
    from ..recommender.data import Events, event_values

    now = now or timezone.now()
    opted_out = ShopperProfile.objects.filter(personalisation_enabled=False).values("shopper_key")
    rows = list(
        Interaction.objects.exclude(shopper_key__in=opted_out)
        .filter(created_at__lte=now)
        .order_by("pk")
        .values_list("shopper_key", "product_id", "kind", "value", "style_id", "created_at", "user_id")
    )
    product_ids = list(get_product_adapter().queryset().order_by("pk").values_list("pk", flat=True))
    known_products = set(product_ids)
    rows = [row for row in rows if row[1] in known_products]
    kinds = [row[2] for row in rows]
    values = event_values(kinds, [row[3] for row in rows], settings.EVENT_WEIGHTS)
    stamps = [row[5].timestamp() for row in rows]
    events = Events.from_raw([row[0] for row in rows], [row[1] for row in rows], values, stamps, item_ids=product_ids)
    style_inputs = _style_inputs(events, rows, values, product_ids, now)
    is_purchase = np.array([kind == InteractionKind.PURCHASE for kind in kinds], dtype=bool)
    purchased = sp.csr_matrix(
        (np.ones(int(is_purchase.sum()), dtype=np.float32), (events.users[is_purchase], events.items[is_purchase])),
        shape=(events.n_users, events.n_items),
    )
    user_of_key = {row[0]: row[6] for row in rows if row[6] is not None}
    return TrainingData(events, kinds, [row[4] for row in rows], purchased, style_inputs, now.timestamp(), user_of_key)


def _style_inputs(events, rows: list, values: np.ndarray, product_ids: list, now: datetime):
    """Product and style vectors, explicit picks and which style each event was shown in."""
    from ..models import ProductPhoto
    from ..recommender.data import decay_factors
    from ..recommender.style import StyleInputs

    item_index = {pk: position for position, pk in enumerate(product_ids)}
    dim = 0
    vectors_by_item: dict[int, list] = {}
    for product_id, vector in ProductPhoto.objects.exclude(style_vector=None).values_list("product_id", "style_vector"):
        if product_id in item_index and isinstance(vector, list) and vector:
            vectors_by_item[item_index[product_id]] = vector
            dim = dim or len(vector)
    styles = list(Style.objects.filter(is_active=True).order_by("pk").values_list("pk", "name", "style_vector"))
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
    shown = [(position, style_index[row[4]]) for position, row in enumerate(rows) if row[4] in style_index]
    shown_positions = np.array([p for p, _ in shown], dtype=np.int64)
    decayed = values * decay_factors(events.timestamps, now.timestamp(), settings.DECAY_HALF_LIFE_DAYS)
    style_inputs = StyleInputs(
        product_vectors=product_vectors,
        has_vector=has_vector,
        style_vectors=style_vectors,
        style_ids=style_ids,
        explicit=_explicit_picks(events.user_ids, style_index),
        shown_users=events.users[shown_positions] if len(shown) else np.empty(0, np.int32),
        shown_items=events.items[shown_positions] if len(shown) else np.empty(0, np.int32),
        shown_styles=np.array([s for _, s in shown], dtype=np.int32),
        shown_values=decayed[shown_positions] if len(shown) else np.empty(0),
    )
    style_inputs.style_names = {pk: name for pk, name, _ in styles}
    return style_inputs


def _explicit_picks(user_ids: list[str], style_index: dict[int, int]) -> sp.csr_matrix:
    """Shoppers' own style picks as a (shopper, style) weight matrix."""
    user_index = {key: position for position, key in enumerate(user_ids)}
    # All explicit picks, matched in Python: an IN list of every shopper would be huge.
    explicit_rows = StylePreference.objects.filter(
        source=PreferenceSource.EXPLICIT, style_id__in=list(style_index)
    ).values_list("shopper_key", "style_id", "weight")
    triples = [(user_index[k], style_index[s], max(float(w), 0.0)) for k, s, w in explicit_rows if k in user_index]
    return sp.csr_matrix(
        ([w for _, _, w in triples], ([u for u, _, _ in triples], [s for _, s, _ in triples])),
        shape=(len(user_index), len(style_index)),
        dtype=np.float32,
    )


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
    from ..recommender.collaborative import parse_algorithms

    say = progress or (lambda stage, done, total: None)
    algorithms = parse_algorithms(algorithm or settings.COLLABORATIVE_ALGORITHM)
    record = RecommenderModel.objects.create(algorithm="+".join(algorithms), status=ModelStatus.TRAINING)
    started = time.perf_counter()
    try:
        say("reading interactions", 0, 1)
        data = read_training_data(now)
        hybrid, pairs = _fit(data, algorithms, search, say)
        fit_seconds = time.perf_counter() - started
        _write_lists(record, hybrid, pairs, data, say)
        learned = _learned_preferences(hybrid, data.events.user_ids, data.style_inputs.style_ids)
        with transaction.atomic():
            _describe(record, hybrid, data, algorithms, fit_seconds)
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


def _fit(data: TrainingData, algorithms: list[str], search: bool, say):
    """The hybrid fitted on the decayed (shopper, product) pairs, and those pairs."""
    from ..recommender.data import aggregate
    from ..recommender.hybrid import HybridRecommender

    pairs = aggregate(data.events, settings.DECAY_HALF_LIFE_DAYS, now=data.data_until)
    say("fitting", 0, 1)
    hybrid = HybridRecommender(
        algorithms=algorithms,
        style_inputs=data.style_inputs,
        search=search,
        time_budget_seconds=_optional_float(settings.TRAINING_TIME_BUDGET),
        limits=part_limits(),
    )
    if len(pairs) == 0:
        # Nothing to learn from yet: an empty model still gives the catalogue's lists.
        hybrid.search = False
        hybrid.blend_weights = {part: 1.0 / len(hybrid.parts) for part in hybrid.parts}
    elif len(np.unique(pairs.users)) < 5:
        hybrid.blend_weights = {part: 1.0 / len(hybrid.parts) for part in hybrid.parts}
    hybrid.fit(pairs, progress=lambda message: say(message, 0, 1))
    return hybrid, pairs


def part_limits():
    """EASE_MAX_ITEMS and TRAINING_MEMORY_LIMIT as the recommender's hard limits on its parts."""
    from ..recommender.choice import PartLimits

    memory = settings.TRAINING_MEMORY_LIMIT
    return PartLimits(ease_max_items=int(settings.EASE_MAX_ITEMS), memory_bytes=None if memory is None else int(memory))


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def _write_lists(record: RecommenderModel, hybrid, pairs, data: TrainingData, say) -> None:
    """Every list the new model serves: per shopper, popular, per style and per product."""
    from ..recommender import lists

    events, product_ids = data.events, data.events.item_ids
    style_ids = data.style_inputs.style_ids
    top_n = int(settings.TOP_N)
    exclude = data.purchased if settings.EXCLUDE_PURCHASED else None
    written = 0
    for chunk in lists.shopper_lists(hybrid, events.n_users, top_n, exclude, style_ids, product_ids):
        # Written chunk by chunk: a big shop's lists never sit in memory all at once.
        RecommendationList.objects.bulk_create(
            RecommendationList(model=record, shopper_key=events.user_ids[user], items=items) for user, items in chunk
        )
        written += len(chunk)
        say("ranking shoppers", written, events.n_users)
    shared = {POPULAR_KEY: lists.popular_list(hybrid, top_n, product_ids)}
    for style_id, items in lists.style_lists(hybrid, top_n, style_ids, events.n_items, product_ids).items():
        shared[f"{STYLE_KEY_PREFIX}{style_id}"] = items
    for product_id, items in lists.neighbour_lists(pairs, product_ids, NEIGHBOURS_PER_ITEM).items():
        shared[f"{ITEM_KEY_PREFIX}{product_id}"] = items
    rest = [RecommendationList(model=record, shopper_key=key, items=items) for key, items in shared.items()]
    total = written + len(rest)
    say("saving lists", written, total)
    for start in range(0, len(rest), SAVE_BATCH):
        RecommendationList.objects.bulk_create(rest[start : start + SAVE_BATCH])
        say("saving lists", written + min(start + SAVE_BATCH, len(rest)), total)


def _describe(record: RecommenderModel, hybrid, data: TrainingData, algorithms: list[str], fit_seconds: float) -> None:
    """What the model was trained with and on (saved by the swap)."""
    events = data.events
    record.params = {
        "algorithms": algorithms,
        "chosen": hybrid.chosen_params,
        "event_weights": settings.EVENT_WEIGHTS,
        "decay_half_life_days": settings.DECAY_HALF_LIFE_DAYS,
        "top_n": int(settings.TOP_N),
        "exclude_purchased": bool(settings.EXCLUDE_PURCHASED),
        "data_until": data.data_until,
        "style_names": {str(k): v for k, v in data.style_inputs.style_names.items()},
    }
    record.blend_weights = hybrid.blend_weights
    record.training_choice = hybrid.choice.as_dict() if hybrid.choice else {}
    record.metrics = {"validation": _plain(hybrid.validation)}
    record.n_shoppers = events.n_users
    record.n_products = events.n_items
    record.n_interactions = len(events)
    record.fit_seconds = fit_seconds


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
    transaction.on_commit(lambda: bump(PREFERENCES_KEY))


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
        return enqueue(TRAIN_JOB, algorithm)
    return enqueue(TRAIN_JOB)

