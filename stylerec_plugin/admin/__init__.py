"""Django admin for StyleRec, one module per concern."""

from . import experiments, recommendations, shoppers, styles, variants  # noqa: F401
