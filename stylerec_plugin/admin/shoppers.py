from django.contrib import admin

from ..models import Interaction, ShopperProfile, StylePreference


@admin.register(ShopperProfile)
class ShopperProfileAdmin(admin.ModelAdmin):
    list_display = ["shopper_key", "user", "personalisation_enabled", "updated_at"]
    list_filter = ["personalisation_enabled"]
    search_fields = ["shopper_key", "user__username"]
    raw_id_fields = ["user"]


@admin.register(StylePreference)
class StylePreferenceAdmin(admin.ModelAdmin):
    list_display = ["shopper_key", "style", "weight", "source", "updated_at"]
    list_filter = ["source", "style"]
    search_fields = ["shopper_key"]
    raw_id_fields = ["user"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "shopper_key", "kind", "product", "value", "style"]
    list_filter = ["kind", "style"]
    search_fields = ["shopper_key"]
    raw_id_fields = ["user", "product"]
    list_select_related = ["product", "style"]
    date_hierarchy = "created_at"
