"""State: the per-request answers every storefront surface needs (who, which arm, which style).

Computed once per request and memoised on it, so a page with a grid, a theme and
several photo tags decides the shopper's treatment and style once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..experiments.assignment import Treatment, treatment_for
from ..models import Style
from ..shoppers.identity import Shopper
from ..shoppers.preferences import forget_request_style, style_for_request
from .photos import enhance_style


@dataclass
class StorefrontState:
    """Per-request answers every surface needs: who, which arm, which style."""

    shopper: Shopper | None
    treatment: Treatment
    style: Style | None  # the style photos and theme follow; None: originals
    fallback_style: Style | None  # enhanced originals for shoppers without a style

    @property
    def personalise(self) -> bool:
        return bool(self.treatment.personalise)


_STATE_ATTR = "_stylerec_storefront_state"


def storefront_state(request, shopper: Shopper | None = None) -> StorefrontState:
    """Shopper, experiment treatment and style for a request, memoised on the request.

    ``request`` may be None (an email, a command): then nobody is personalised.
    """
    derived = request is not None and shopper is None
    if derived:
        cached = getattr(request, _STATE_ATTR, None)
        if cached is not None:
            return cached
        shopper = getattr(request, "shopper", None) or Shopper.from_request(request, create=False)
    treatment = treatment_for(shopper)
    style = style_for_request(request, shopper) if treatment.restyle else None
    fallback = None
    if style is None and treatment.restyle:
        # Only shoppers who could see restyles get enhanced originals: an
        # "originals" experiment arm or an opt-out means the untouched photo.
        fallback = enhance_style()
    state = StorefrontState(shopper=shopper, treatment=treatment, style=style, fallback_style=fallback)
    if derived:
        setattr(request, _STATE_ATTR, state)
    return state


def forget_storefront_state(request) -> None:
    """Call after a shopper changes their styles or consent within the request."""
    if request is not None and hasattr(request, _STATE_ATTR):
        delattr(request, _STATE_ATTR)
    forget_request_style(request)
