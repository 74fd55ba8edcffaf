"""Django admin for StyleRec, one module per concern."""

from . import experiments, photos, recommendations, shoppers, styles, variants  # noqa: F401
