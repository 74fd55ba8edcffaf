"""StyleRec: restyled product photos and style-aware recommendations for Django shops."""

__version__ = "0.1.0"
