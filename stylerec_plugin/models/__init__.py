"""StyleRec models, one module per concern; import them from here."""

from .experiments import (  # noqa: F401
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentExposure,
    ExperimentOutcome,
)
from .recommendations import RecommendationList, RecommenderModel
from .shoppers import Interaction, InteractionKind, ShopperProfile, StylePreference
from .styles import RenderMode, Style, StyleKind, StyleTranslation
from .variants import ProductPhoto, RestyledImage, Review, VariantStatus, shown_condition

__all__ = [
    "Interaction",
    "InteractionKind",
    "ProductPhoto",
    "RecommendationList",
    "RecommenderModel",
    "RenderMode",
    "RestyledImage",
    "Review",
    "ShopperProfile",
    "Style",
    "StyleKind",
    "StylePreference",
    "StyleTranslation",
    "VariantStatus",
    "shown_condition",
]
