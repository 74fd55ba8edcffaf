from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from ..models import RecommendationList, RecommenderModel


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by training jobs: visible to admins, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _seconds(value: float | None, cpu: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s ({cpu or 0.0:.1f} s CPU)"


def choice_rows(choice: dict[str, Any]) -> list[dict[str, str]]:
    """One readable row per part of a stored TrainingChoice (``RecommenderModel.training_choice``)."""
    from ..recommender.choice import format_bytes

    rows = []
    for part in choice.get("parts") or []:
        tried = len(part.get("candidates") or [])
        not_tried = part.get("candidates_not_tried") or 0
        settings = ", ".join(f"{key} {value}" for key, value in (part.get("params") or {}).items())
        ndcg = part.get("validation_ndcg")
        rows.append(
            {
                "label": part.get("label") or part.get("name", "?"),
                "status": part.get("status", ""),
                "weight": f"{part.get('weight') or 0.0:.2f}" if part.get("status") != "skipped" else "—",
                "ndcg": "—" if ndcg is None else f"{ndcg:.4f}" + (f" ({settings})" if settings else ""),
                "tried": f"{tried}" + (f" ({not_tried} left out for the budget)" if not_tried else ""),
                "fit": _seconds(part.get("fit_seconds"), part.get("fit_cpu_seconds")),
                "memory": format_bytes(part["estimated_bytes"]) if part.get("estimated_bytes") else "—",
                "reason": part.get("reason") or "",
            }
        )
    return rows


@admin.register(RecommenderModel)
class RecommenderModelAdmin(ReadOnlyAdmin):
    list_display = ["pk", "algorithm", "status", "is_active", "parts_used", "n_shoppers", "n_products", "fit_seconds"]
    list_filter = ["status", "is_active"]
    fields = [
        "status",
        "is_active",
        "algorithm",
        "training_choice_table",
        "blend_weights",
        "n_shoppers",
        "n_products",
        "n_interactions",
        "fit_seconds",
        "error",
        "created_at",
        "finished_at",
        "params",
        "metrics",
    ]
    readonly_fields = ["training_choice_table", "created_at"]

    @admin.display(description="parts used")
    def parts_used(self, obj: RecommenderModel) -> str:
        return ", ".join((obj.training_choice or {}).get("used") or []) or "—"

    @admin.display(description="what training chose and why")
    def training_choice_table(self, obj: RecommenderModel) -> SafeString:
        choice = obj.training_choice or {}
        lines = list(choice.get("summary") or [])
        parts = choice_rows(choice)
        # The summary's first lines describe the whole run; one line per part follows them.
        overview = lines[: max(0, len(lines) - len(parts))]
        context = {
            "choice": choice,
            "head": overview[0] if overview else "",
            "validation": overview[1] if len(overview) > 1 else "",
            "blend": " ".join(overview[2:]),
            "parts": parts,
        }
        return render_to_string("admin/stylerec_plugin/recommendermodel/training_choice.html", context)


@admin.register(RecommendationList)
class RecommendationListAdmin(ReadOnlyAdmin):
    list_display = ["shopper_key", "model", "length"]
    list_filter = ["model"]
    search_fields = ["shopper_key"]
    list_select_related = ["model"]

    @admin.display(description="items")
    def length(self, obj: RecommendationList) -> int:
        return len(obj.items)
