"""What training chose and why: limits on the parts, and the record a fitted hybrid carries.

The Django side stores :meth:`TrainingChoice.as_dict` on the model row and
shows :meth:`TrainingChoice.summary` in admin; both are plain data (JSON-safe).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

# Training's default time budget (fit, validation search included), in seconds.
DEFAULT_TIME_BUDGET_SECONDS = 300.0
# EASE^R holds one dense float32 item x item matrix: 20,000 items is 1.6 GB and,
# on two cores, a few minutes of factorisation (measured: docs/recommender.md).
DEFAULT_EASE_MAX_ITEMS = 20_000

USED, UNUSED, SKIPPED, FIXED = "used", "unused", "skipped", "fixed"
# Why a part was left out (``PartReport.reason_code``; ``reason`` says it in words).
EASE_ITEM_LIMIT, MEMORY_LIMIT, TIME_BUDGET, NO_WEIGHT = "ease_item_limit", "memory_limit", "time_budget", "no_weight"
NO_DATA = "no_data"


def machine_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 1024**3


@dataclass(frozen=True)
class PartLimits:
    """Hard limits checked before a part is fitted at all (the time budget comes on top)."""

    ease_max_items: int = DEFAULT_EASE_MAX_ITEMS
    # Largest estimated peak of one part's fit; None: half of this machine's memory.
    memory_bytes: int | None = None

    def memory(self) -> int:
        return self.memory_bytes if self.memory_bytes is not None else machine_memory_bytes() // 2


@dataclass
class CandidateReport:
    """One parameter setting of a part, fitted on the validation split's training side."""

    params: dict[str, Any]
    ndcg: float
    fit_seconds: float
    fit_cpu_seconds: float


@dataclass
class PartReport:
    name: str
    label: str
    status: str  # used | unused | skipped | fixed
    reason: str = ""
    reason_code: str = ""  # ease_item_limit | memory_limit | time_budget | no_weight | no_data | ""
    params: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0
    validation_ndcg: float | None = None
    candidates: list[CandidateReport] = field(default_factory=list)
    # Settings of the search space not tried because the budget ran short.
    candidates_not_tried: int = 0
    # Probe estimate of one fit on all training pairs, and of its peak memory.
    estimated_seconds: float | None = None
    estimated_bytes: int | None = None
    # The final fit on all training pairs (None when the part was not refitted).
    fit_seconds: float | None = None
    fit_cpu_seconds: float | None = None

    @property
    def validation_seconds(self) -> float:
        return sum(c.fit_seconds for c in self.candidates)

    def line(self) -> str:
        """One line for admin and the evaluate command."""
        if self.status == SKIPPED:
            return f"{self.label} skipped: {self.reason}"
        bits = [f"{self.label}: {self.status}"]
        if self.status in (USED, FIXED):
            bits.append(f"weight {self.weight:.2f}")
        if self.validation_ndcg is not None:
            settings = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.params.items())
            bits.append(f"validation NDCG {self.validation_ndcg:.4f}" + (f" ({settings})" if settings else ""))
        if self.candidates:
            tried = f"{len(self.candidates)} setting{'s' if len(self.candidates) != 1 else ''} tried"
            if self.candidates_not_tried:
                tried += f", {self.candidates_not_tried} left out for the budget"
            bits.append(tried)
        if self.fit_seconds is not None:
            bits.append(f"fit {self.fit_seconds:.1f} s ({self.fit_cpu_seconds or 0.0:.1f} s CPU)")
        if self.reason:
            bits.append(self.reason)
        return ", ".join(bits)


@dataclass
class TrainingChoice:
    """Which parts a training used, with what weights, and why the others were left out."""

    budget_seconds: float | None
    n_users: int
    n_items: int
    n_pairs: int
    parts: list[PartReport] = field(default_factory=list)
    blend_weights: dict[str, float] = field(default_factory=dict)
    validation_split: str = "user"
    validation_rounds: int = 0
    validation_users: int = 0
    blend_ndcg: float | None = None
    # Validation gain of the blend over the best part alone, and its standard error.
    blend_gain: float | None = None
    blend_gain_error: float | None = None
    # Set when the best part alone was kept instead of a blend (the gain was noise).
    blend_note: str = ""
    blend_seconds: float = 0.0
    elapsed_seconds: float = 0.0
    cpu_seconds: float = 0.0

    def part(self, name: str) -> PartReport | None:
        return next((p for p in self.parts if p.name == name), None)

    @property
    def used(self) -> list[str]:
        return [p.name for p in self.parts if p.status in (USED, FIXED) and p.weight > 0]

    @property
    def skipped(self) -> dict[str, str]:
        return {p.name: p.reason for p in self.parts if p.status == SKIPPED}

    @property
    def over_budget_seconds(self) -> float:
        if self.budget_seconds is None:
            return 0.0
        return max(0.0, self.elapsed_seconds - self.budget_seconds)

    def summary(self) -> list[str]:
        budget = "no time budget" if self.budget_seconds is None else f"time budget {self.budget_seconds:g} s"
        head = (
            f"{self.n_users:,} shoppers x {self.n_items:,} products, {self.n_pairs:,} pairs; {budget}; "
            f"took {self.elapsed_seconds:.1f} s ({self.cpu_seconds:.1f} s CPU)"
        )
        if self.over_budget_seconds > 0:
            head += f", {self.over_budget_seconds:.1f} s over the budget"
        lines = [head]
        if self.validation_rounds:
            lines.append(
                f"validation: {self.validation_split} split, {self.validation_rounds} round(s), "
                f"{self.validation_users:,} shoppers; blend NDCG {self.blend_ndcg or 0.0:.4f} "
                f"(weights searched in {self.blend_seconds:.1f} s)"
            )
        if self.blend_gain is not None:
            lines.append(
                f"blend vs best part alone on validation: {self.blend_gain:+.4f} "
                f"(standard error {self.blend_gain_error or 0.0:.4f})"
                + (f"; {self.blend_note}" if self.blend_note else "")
            )
        lines.extend(p.line() for p in self.parts)
        return lines

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["used"] = self.used
        out["skipped"] = self.skipped
        out["over_budget_seconds"] = self.over_budget_seconds
        # The lines admin shows, so the stored record needs no code to be read.
        out["summary"] = self.summary()
        return _plain(out)


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python numbers, tuples to lists, keys to strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    return value


def format_bytes(n: float) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} bytes"
