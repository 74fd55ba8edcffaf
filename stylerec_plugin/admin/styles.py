from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..models import Style
from ..themes import THEME_FIELDS


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = ["name", "reference_thumb", "kind", "strength", "palette", "is_active", "version", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["reference_preview", "palette", "version", "reference_hash", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "kind", "is_active", "sort_order"]}),
        (
            _("Output"),
            {
                "fields": [
                    "reference_image",
                    "reference_preview",
                    "preset_weights",
                    "strength",
                    "preserve_colour",
                    "quality_floor",
                    "version",
                ]
            },
        ),
        (
            _("Theme"),
            {
                "fields": [
                    "theme_primary",
                    "theme_accent",
                    "theme_background",
                    "theme_surface",
                    "theme_text",
                    "theme_font",
                    "palette",
                ]
            },
        ),
    ]

    @admin.display(description=_("reference"))
    def reference_thumb(self, obj: Style) -> str:
        if not obj.reference_image:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="height:40px;border-radius:3px">', obj.reference_image.url
        )

    @admin.display(description=_("reference preview"))
    def reference_preview(self, obj: Style) -> str:
        if not obj.reference_image:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-height:240px;max-width:100%">', obj.reference_image.url
        )

    @admin.display(description=_("palette"))
    def palette(self, obj: Style) -> str:
        # Values come from validated fields; format_html escapes them anyway.
        swatches = format_html_join(
            "",
            '<span title="{}" style="display:inline-block;width:18px;height:18px;'
            'border:1px solid #999;margin-right:2px;background:{}"></span>',
            ((key, getattr(obj, field)) for key, field in THEME_FIELDS),
        )
        return swatches
