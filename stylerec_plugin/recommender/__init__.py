"""StyleRec's recommender: pure ranking code on arrays and Surprise, no Django.

- :mod:`.data`           events → decayed strengths per (user, item); splits; loaders
- :mod:`.collaborative`  the collaborative and popularity scorers
- :mod:`.style`          style profiles, style scores, learned style weights
- :mod:`.hybrid`         validation search, blend, top-N with reasons
- :mod:`.lists`          the lists a trained model serves (per shopper, popular, per style, neighbours)
- :mod:`.metrics`        precision/recall/NDCG/MAP/coverage at k
- :mod:`.evaluation`     the evaluation protocol and its plots
- :mod:`.synthetic`      synthetic shops for tests and benchmarks

Importing the package loads none of them; the names below resolve on first use.
"""

from .._lazy import lazy_exports

__all__ = ["Events", "HybridRecommender", "Pairs", "StyleInputs", "aggregate", "parse_algorithms", "top_k"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Events": ".data",
        "Pairs": ".data",
        "aggregate": ".data",
        "HybridRecommender": ".hybrid",
        "StyleInputs": ".style",
        "parse_algorithms": ".collaborative",
        "top_k": ".metrics",
    },
)
