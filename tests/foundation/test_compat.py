"""The paths shops and stored data rely on keep working after the capability move.

Every public name of every old flat module still imports (moved modules warn with a
DeprecationWarning), RQ job paths already stored in Redis resolve to the same jobs,
cached pickles of the experiments' dataclasses load, and every dotted path the README
and docs name resolves.
"""

from __future__ import annotations

import importlib
import pickle
import re
import sys
import warnings
from pathlib import Path

import pytest
from rq.utils import import_attribute

ROOT = Path(__file__).resolve().parents[2]

# Old flat modules that moved, with every public name they had.
MOVED_MODULES = {
    "stylerec_plugin.display": [
        "variants_missing", "VariantFile", "Photo", "product_image_field", "product_name", "product_price",
        "product_url", "ready_variants", "variant_statuses", "PhotoFacts", "photo_facts", "enhance_style",
        "original_photo", "variant_photo", "photos_for", "facts_and_variants", "photo_for", "StorefrontState",
        "storefront_state", "forget_storefront_state",
    ],
    "stylerec_plugin.pipeline": [
        "RESTYLE_JOB", "SYNC_PRODUCT_JOB", "SYNC_STYLE_JOB", "STYLE_VECTOR_JOB", "DEFAULT_CHUNK", "TERMINAL",
        "engine_version", "active_styles", "image_field_name", "chunk_size", "chunked", "inline_token",
        "current_job_token", "Plan", "plan_variants", "queue_plan", "lost_pending_rows", "claim_variants",
        "mark_failed", "backoff_seconds", "mark_transient_failure", "release_stale_claim", "store_result",
        "prune_superseded", "prune_products", "schedule_file_deletion", "protected_names",
        "delete_unreferenced_files", "Recovery", "death_reason", "recover_stuck_variants", "pipeline_status",
        "queue_status",
    ],
    "stylerec_plugin.jobs": [
        "get_stylizer", "analyse_photo", "sync_product", "build_spec", "style_vector_for", "update_style_vector",
        "sync_style", "smaller_copies", "restyle_variants", "recover_stuck", "delete_files",
    ],
    "stylerec_plugin.worker": ["preload_engines", "StyleRecWorker"],
    "stylerec_plugin.serving_cache": [
        "STYLES_KEY", "PREFERENCES_KEY", "cache", "bump", "cached", "style_key", "session_key", "forget_shopper",
        "connect_signals",
    ],
    "stylerec_plugin.preferences": [
        "shopper_styles", "shopper_style", "explicit_styles", "set_explicit_styles", "style_for_request",
        "forget_request_style",
    ],
    "stylerec_plugin.privacy": ["APP_LABEL", "shopper_models", "export_shopper_data", "delete_shopper_data"],
    "stylerec_plugin.experiment_stats": [
        "CONFIDENCE", "ALPHA", "MIN_EVENTS", "Rate", "Comparison", "wilson_interval", "rate", "two_proportion_z_test",
        "relative_lift", "newcombe_difference_interval", "has_enough_events", "compare", "required_sample_size",
        "sample_ratio_mismatch",
    ],
    "stylerec_plugin.experiment_report": [
        "METRICS", "METRIC_LABELS", "DEFAULT_MDE", "SRM_ALPHA", "ArmReport", "TimelinePoint", "ExperimentReport",
        "build_report", "render_chart", "format_text",
    ],
}

# Old flat modules whose name is now a capability package: the package face answers for them.
PACKAGE_FACES = {
    "stylerec_plugin.shoppers": [
        "Shopper", "personalisation_enabled", "set_personalisation", "record_interaction", "merge_shoppers",
        "SESSION_SHOPPER_KEY", "ShopperMiddleware",
    ],
    "stylerec_plugin.experiments": [
        "BUCKETS", "ACTIVE_CACHE_KEY", "OUTCOME_FOR_INTERACTION", "EXPOSURES_SEARCHED", "Treatment",
        "DEFAULT_TREATMENT", "OPTED_OUT_TREATMENT", "NO_SHOPPER_TREATMENT", "live_experiment", "has_live_experiment",
        "bucket_for", "arm_for_bucket", "assign", "live_experiment_by_id", "treatment_for", "record_exposure",
        "attribute_interaction", "move_assignments",
    ],
    "stylerec_plugin.recommendations": [
        "POPULAR_KEY", "STYLE_KEY_PREFIX", "ITEM_KEY_PREFIX", "NEIGHBOURS_PER_ITEM", "SESSION_EVENTS",
        "LEARNED_STYLES_PER_SHOPPER", "MODELS_KEPT", "Recommendation", "reason_text", "ACTIVE_CACHE_KEY",
        "invalidate_cache", "active_payload", "recommend", "TrainingData", "read_training_data", "train",
        "train_job", "enqueue_training",
    ],
    "stylerec_plugin.signals": ["paused", "is_paused"],
}

# Names that still resolve from their old module but were renamed or moved further: they warn.
DEPRECATED_NAMES = {
    "stylerec_plugin.experiments": ["forget_shopper", "connect_signals"],
    "stylerec_plugin.signals": [
        "product_saved", "style_pre_save", "style_saved", "variant_deleted", "connect_product_signals",
    ],
}

# Job paths RQ may hold in Redis from before the move, and the job each must run.
STORED_JOB_PATHS = {
    "stylerec_plugin.jobs.restyle_variants": "stylerec_plugin.restyling.jobs.restyle_variants",
    "stylerec_plugin.jobs.sync_product": "stylerec_plugin.restyling.jobs.sync_product",
    "stylerec_plugin.jobs.sync_style": "stylerec_plugin.restyling.jobs.sync_style",
    "stylerec_plugin.jobs.update_style_vector": "stylerec_plugin.restyling.jobs.update_style_vector",
    "stylerec_plugin.jobs.recover_stuck": "stylerec_plugin.restyling.jobs.recover_stuck",
    "stylerec_plugin.jobs.delete_files": "stylerec_plugin.restyling.jobs.delete_files",
    "stylerec_plugin.recommendations.train_job": "stylerec_plugin.recommendations.training.train_job",
}


def _fresh_import(name: str):
    """Import ``name`` as a first import would (so its module-level warning fires again)."""
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.mark.parametrize("module_name", sorted(MOVED_MODULES))
def test_moved_module_warns_and_keeps_every_public_name(module_name):
    with pytest.warns(DeprecationWarning, match=re.escape(module_name) + " moved to stylerec_plugin\\."):
        module = _fresh_import(module_name)
    missing = [name for name in MOVED_MODULES[module_name] if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("module_name", sorted(PACKAGE_FACES))
def test_package_face_keeps_every_public_name_without_warning(module_name):
    module = importlib.import_module(module_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        missing = [name for name in PACKAGE_FACES[module_name] if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize(
    "module_name,name", [(module, name) for module, names in DEPRECATED_NAMES.items() for name in names]
)
def test_renamed_names_resolve_with_a_warning(module_name, name):
    module = importlib.import_module(module_name)
    with pytest.warns(DeprecationWarning, match=re.escape(f"{module_name}.{name} moved to")):
        assert callable(getattr(module, name))


def test_aliases_are_the_moved_objects_themselves():
    from stylerec_plugin.restyling import jobs, worker
    from stylerec_plugin.storefront import photos

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import stylerec_plugin.display as display
        import stylerec_plugin.jobs as old_jobs
        import stylerec_plugin.worker as old_worker
    assert display.photos_for is photos.photos_for
    assert old_jobs.sync_product is jobs.sync_product
    assert old_worker.StyleRecWorker is worker.StyleRecWorker


@pytest.mark.parametrize("stored,current", sorted(STORED_JOB_PATHS.items()))
def test_job_paths_stored_in_redis_resolve_to_the_current_jobs(stored, current):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert import_attribute(stored) is import_attribute(current)


def test_experiment_snapshots_pickled_under_the_old_module_still_load():
    from stylerec_plugin.experiments import assignment

    arm = assignment._Arm(1, "restyled", 50, True, True)
    live = assignment._LiveExperiment(7, "photos", None, None, (arm,))
    treatment = assignment.Treatment(restyle=True, personalise=False, experiment_id=7, arm="restyled")
    classes = (assignment._Arm, assignment._LiveExperiment, assignment.Treatment)
    saved = [cls.__module__ for cls in classes]
    try:
        # What a cache written before the move holds: the classes under stylerec_plugin.experiments.
        for cls in classes:
            cls.__module__ = "stylerec_plugin.experiments"
        old_pickle = pickle.dumps(([live], (live, treatment)))
    finally:
        for cls, module in zip(classes, saved, strict=True):
            cls.__module__ = module
    assert b"stylerec_plugin.experiments.assignment" not in old_pickle
    running, (experiment, cached_treatment) = pickle.loads(old_pickle)
    assert running == [live] and experiment == live and cached_treatment == treatment


def _documented_paths() -> set[str]:
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = set()
    for path in texts:
        for match in re.finditer(r"stylerec_plugin(?:\.[A-Za-z_][A-Za-z0-9_]*)+", path.read_text()):
            found.add(match.group(0))
    return found


def _resolve(path: str):
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(path)


def test_every_dotted_path_in_the_readme_and_docs_resolves():
    paths = _documented_paths()
    assert "stylerec_plugin.shoppers.ShopperMiddleware" in paths
    unresolved = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for path in sorted(paths):
            try:
                _resolve(path)
            except (ImportError, AttributeError):
                unresolved.append(path)
    assert unresolved == []
