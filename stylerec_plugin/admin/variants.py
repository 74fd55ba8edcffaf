from django.contrib import admin

from ..models import ProductPhoto, RestyledImage


@admin.register(RestyledImage)
class RestyledImageAdmin(admin.ModelAdmin):
    list_display = ["product", "style", "status", "ssim", "strength_used", "duration_ms", "attempts", "updated_at"]
    list_filter = ["status", "style"]
    list_select_related = ["product", "style"]
    readonly_fields = [f.name for f in RestyledImage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ProductPhoto)
class ProductPhotoAdmin(admin.ModelAdmin):
    list_display = ["product", "width", "height", "quality_score", "is_weak", "updated_at"]
    list_filter = ["is_weak"]
    readonly_fields = [f.name for f in ProductPhoto._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
