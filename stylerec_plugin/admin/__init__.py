"""Django admin for StyleRec, one module per concern."""

from . import recommendations, shoppers, styles, variants  # noqa: F401
