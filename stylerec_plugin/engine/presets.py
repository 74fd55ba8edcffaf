"""The 26 pretrained presets: weight vectors, and what each one looks like (numpy only, no torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

NUM_PRESETS = 26


def normalise_preset_weights(preset_weights: Mapping[int | str, float] | Sequence[float] | np.ndarray) -> np.ndarray:
    """A float32 [26] vector summing to 1 from ``{index: weight}`` (JSON keys may be strings) or 26 weights."""
    vec = np.zeros(NUM_PRESETS, dtype=np.float32)
    if isinstance(preset_weights, Mapping):
        for raw_index, weight in preset_weights.items():
            try:
                index = int(raw_index)
            except (TypeError, ValueError):
                raise ValueError(f"preset index must be an integer, got {raw_index!r}") from None
            if not 0 <= index < NUM_PRESETS:
                raise ValueError(f"preset index must be 0 to {NUM_PRESETS - 1}, got {index}")
            vec[index] += float(weight)
    else:
        arr = np.asarray(preset_weights, dtype=np.float32)
        if arr.shape != (NUM_PRESETS,):
            raise ValueError(f"a preset weight list needs {NUM_PRESETS} values, got shape {arr.shape}")
        vec = arr.copy()
    if not np.all(np.isfinite(vec)) or (vec < 0).any() or vec.sum() <= 0:
        raise ValueError("preset weights must be finite, non-negative and not all zero")
    return (vec / vec.sum()).astype(np.float32)


def parse_preset_spec(text: str) -> dict[int, float]:
    """``"7"`` or ``"3:0.5,12:0.5"`` (optionally prefixed ``preset:``) to ``{index: weight}``."""
    body = text.split(":", 1)[1] if text.lower().startswith("preset:") else text
    weights: dict[int, float] = {}
    for part in body.split(","):
        part = part.strip()
        if not part:
            continue
        index, _, weight = part.partition(":")
        try:
            weights[int(index)] = weights.get(int(index), 0.0) + (float(weight) if weight else 1.0)
        except ValueError:
            raise ValueError(f"bad preset spec {text!r}; use e.g. preset:7 or preset:3:0.5,12:0.5") from None
    normalise_preset_weights(weights)
    return weights
