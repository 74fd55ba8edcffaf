from django.contrib import admin

from ..models import RecommenderModel


@admin.register(RecommenderModel)
class RecommenderModelAdmin(admin.ModelAdmin):
    list_display = ["pk", "algorithm", "status", "is_active", "n_shoppers", "n_products", "fit_seconds", "created_at"]
    list_filter = ["status", "is_active"]
    readonly_fields = [f.name for f in RecommenderModel._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
