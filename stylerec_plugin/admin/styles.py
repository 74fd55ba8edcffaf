from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Style
from ..themes import THEME_FIELDS


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = [
        "name", "reference_thumb", "kind", "strength", "palette", "is_active", "version", "variant_counts", "sort_order"
    ]
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

    # Restyling pipeline (helper D): counts by status in the list query, and a regenerate action.
    actions = ["regenerate_variants"]
    VARIANT_STATUSES = ("ready", "pending", "running", "failed", "rejected")

    def get_queryset(self, request):
        counts = {
            f"n_{status}": Count("variants", filter=Q(variants__status=status)) for status in self.VARIANT_STATUSES
        }
        return super().get_queryset(request).annotate(**counts)

    @admin.display(description=_("variants"))
    def variant_counts(self, obj: Style) -> str:
        from django.urls import reverse

        parts = []
        for status in self.VARIANT_STATUSES:
            count = getattr(obj, f"n_{status}", None)
            if count:
                url = reverse("admin:stylerec_plugin_restyledimage_changelist")
                parts.append(
                    format_html('<a href="{}?style__id__exact={}&status__exact={}">{} {}</a>', url, obj.pk, status,
                                count, status)
                )
        return format_html_join(" · ", "{}", ((part,) for part in parts)) if parts else "—"

    def has_regenerate_variants_permission(self, request) -> bool:
        return request.user.has_perm("stylerec_plugin.change_style")

    @admin.action(description=_("Regenerate all variants of the selected styles"),
                  permissions=["regenerate_variants"])
    def regenerate_variants(self, request, queryset) -> None:
        from ..restyling.jobs import queue_sync_style

        styles = list(queryset.filter(is_active=True).values_list("pk", flat=True))
        for pk in styles:
            queue_sync_style(pk, regenerate=True)
        self.message_user(
            request,
            ngettext(
                "Regenerating the variants of %d style; ready ones keep showing until replaced.",
                "Regenerating the variants of %d styles; ready ones keep showing until replaced.",
                len(styles),
            ) % len(styles),
            messages.SUCCESS,
        )

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
