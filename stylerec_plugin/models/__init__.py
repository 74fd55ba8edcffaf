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
from .styles import Style, StyleKind, StyleTranslation
from .variants import ProductPhoto, RestyledImage, VariantStatus

__all__ = [
    "Interaction",
    "InteractionKind",
    "ProductPhoto",
    "RecommendationList",
    "RecommenderModel",
    "RestyledImage",
    "ShopperProfile",
    "Style",
    "StyleKind",
    "StylePreference",
    "StyleTranslation",
    "VariantStatus",
]
