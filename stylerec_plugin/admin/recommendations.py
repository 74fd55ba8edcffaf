from django.contrib import admin

from ..models import RecommendationList, RecommenderModel


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by training jobs: visible to admins, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RecommenderModel)
class RecommenderModelAdmin(ReadOnlyAdmin):
    list_display = ["pk", "algorithm", "status", "is_active", "n_shoppers", "n_products", "fit_seconds", "created_at"]
    list_filter = ["status", "is_active"]


@admin.register(RecommendationList)
class RecommendationListAdmin(ReadOnlyAdmin):
    list_display = ["shopper_key", "model", "length"]
    list_filter = ["model"]
    search_fields = ["shopper_key"]
    list_select_related = ["model"]

    @admin.display(description="items")
    def length(self, obj: RecommendationList) -> int:
        return len(obj.items)
