"""System checks for the recommender's STYLEREC settings (ids E030-E035, W030; stable, never reused).

Kept apart from :mod:`stylerec_plugin.checks` (which imports this module, so
the checks register with it) to keep both short.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register

from .conf import settings


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@register()
def check_recommender(app_configs=None, **kwargs) -> list:
    """Algorithm (E030), list length (E031), decay (E032) and the cost-aware training (E033-E035, W030)."""
    from .recommender.collaborative import COLLABORATIVE_ALGORITHMS, parse_algorithms

    problems = []
    algorithm = settings.COLLABORATIVE_ALGORITHM
    try:
        parse_algorithms(algorithm)
    except (ValueError, AttributeError, TypeError):
        problems.append(
            Error(
                f"STYLEREC['COLLABORATIVE_ALGORITHM'] is {algorithm!r}.",
                hint=f"Use auto, one of {', '.join(COLLABORATIVE_ALGORITHMS)}, or several joined with '+'.",
                id="stylerec.E030",
            )
        )
    top_n = settings.TOP_N
    if not _is_whole(top_n) or not 1 <= top_n <= 1000:
        problems.append(
            Error(f"STYLEREC['TOP_N'] is {top_n!r}.", hint="Use a whole number from 1 to 1000.", id="stylerec.E031")
        )
    half_life = settings.DECAY_HALF_LIFE_DAYS
    if half_life is not None and (not _is_number(half_life) or half_life < 0):
        problems.append(
            Error(
                f"STYLEREC['DECAY_HALF_LIFE_DAYS'] is {half_life!r}.",
                hint="Use a number of days (0 or None: no time decay).",
                id="stylerec.E032",
            )
        )
    problems.extend(_check_training_costs())
    return problems


def _check_training_costs() -> list:
    """TRAINING_TIME_BUDGET (E033), EASE_MAX_ITEMS (E034), TRAINING_MEMORY_LIMIT (E035), and
    an EASE^R limit the memory limit cannot hold (W030)."""
    from .recommender.choice import format_bytes
    from .recommender.collaborative import ease_bytes

    problems = []
    budget = settings.TRAINING_TIME_BUDGET
    if budget is not None and (not _is_number(budget) or budget <= 0):
        problems.append(
            Error(
                f"STYLEREC['TRAINING_TIME_BUDGET'] is {budget!r}.",
                hint="Use a number of seconds above 0, or None for no time limit.",
                id="stylerec.E033",
            )
        )
    ease_items = settings.EASE_MAX_ITEMS
    ease_ok = _is_whole(ease_items) and ease_items >= 0
    if not ease_ok:
        problems.append(
            Error(
                f"STYLEREC['EASE_MAX_ITEMS'] is {ease_items!r}.",
                hint="Use a whole number of products, 0 or more (0: never use EASE^R).",
                id="stylerec.E034",
            )
        )
    memory = settings.TRAINING_MEMORY_LIMIT
    memory_ok = memory is None or (_is_whole(memory) and memory > 0)
    if not memory_ok:
        problems.append(
            Error(
                f"STYLEREC['TRAINING_MEMORY_LIMIT'] is {memory!r}.",
                hint="Use a whole number of bytes above 0, or None for half of the machine's memory.",
                id="stylerec.E035",
            )
        )
    if ease_ok and memory_ok and memory is not None and ease_items > 0 and ease_bytes(ease_items) > memory:
        problems.append(
            Warning(
                f"EASE^R at STYLEREC['EASE_MAX_ITEMS'] = {ease_items:,} products needs ~"
                f"{format_bytes(ease_bytes(ease_items))}, more than TRAINING_MEMORY_LIMIT ({format_bytes(memory)}).",
                hint="Lower EASE_MAX_ITEMS or raise TRAINING_MEMORY_LIMIT; catalogues in between train without "
                "EASE^R (the memory limit wins).",
                id="stylerec.W030",
            )
        )
    return problems
