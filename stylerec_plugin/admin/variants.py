"""Admin for restyled variants (read-only, with before/after) and product photo analyses."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import ProductPhoto, RestyledImage, VariantStatus
from ..products import get_product_adapter

THUMB = '<img src="{}" alt="{}" loading="lazy" style="height:{}px;max-width:{}px;object-fit:contain;border-radius:3px">'


def _thumb(url: str, alt: str, height: int) -> str:
    return format_html(THUMB, url, alt, height, height * 2)


def _photo_url(product) -> str:
    return get_product_adapter().photo_url(product)


class CurrentFilter(admin.SimpleListFilter):
    title = _("freshness")
    parameter_name = "fresh"

    def lookups(self, request, model_admin):
        return [("stale", _("Older style version")), ("current", _("Current style version"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        from django.db.models import F

        if self.value() == "stale":
            return queryset.exclude(style_version=F("style__version"))
        if self.value() == "current":
            return queryset.filter(style_version=F("style__version"))
        return queryset


@admin.register(RestyledImage)
class RestyledImageAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "before",
        "after",
        "product",
        "style",
        "style_version",
        "status",
        "ssim",
        "strength_used",
        "duration_ms",
        "attempts",
        "short_error",
        "updated_at",
    ]
    list_display_links = ["pk", "after"]
    list_filter = ["status", "style", CurrentFilter, "engine_version", "device"]
    list_select_related = ["product", "style"]
    search_fields = ["=product__pk", "style__slug", "last_error", "source_hash"]
    date_hierarchy = "updated_at"
    actions = ["regenerate"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["product", "style", "status", "before_large", "after_large", "last_error"]}),
        (
            _("Scores"),
            {"fields": ["ssim", "psnr", "strength_used", "width", "height", "duration_ms", "device", "attempts"]},
        ),
        (
            _("Identity"),
            {"fields": ["source_hash", "style_version", "engine", "engine_version", "image", "job_id"]},
        ),
        (_("Times"), {"fields": ["created_at", "started_at", "finished_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in RestyledImage._meta.fields] + ["before_large", "after_large"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewable (read-only); rows change only through the pipeline.
        return False

    @admin.display(description=_("before"))
    def before(self, obj: RestyledImage) -> str:
        url = _photo_url(obj.product)
        return _thumb(url, str(obj.product), 56) if url else "—"

    @admin.display(description=_("after"))
    def after(self, obj: RestyledImage) -> str:
        if not obj.image:
            return "—"
        return _thumb(obj.image.url, f"{obj.product} in {obj.style}", 56)

    @admin.display(description=_("original"))
    def before_large(self, obj: RestyledImage) -> str:
        url = _photo_url(obj.product)
        return _thumb(url, str(obj.product), 320) if url else "—"

    @admin.display(description=_("restyled"))
    def after_large(self, obj: RestyledImage) -> str:
        if not obj.image:
            return "—"
        return _thumb(obj.image.url, f"{obj.product} in {obj.style}", 320)

    @admin.display(description=_("error"))
    def short_error(self, obj: RestyledImage) -> str:
        text = obj.last_error or ""
        return text if len(text) <= 80 else text[:77] + "…"

    def has_regenerate_permission(self, request) -> bool:
        return request.user.has_perm("stylerec_plugin.change_restyledimage")

    @admin.action(description=_("Regenerate the selected variants"), permissions=["regenerate"])
    def regenerate(self, request, queryset: QuerySet) -> None:
        from ..restyling.planning import Plan, queue_plan
        from ..restyling.variants import reset_to_pending

        rows = list(queryset.values_list("pk", "style_id", "status"))
        reset_to_pending(pk for pk, _style, status in rows if status in (VariantStatus.FAILED, VariantStatus.REJECTED))
        ready, pending = Plan(), Plan()
        for pk, style_id, status in rows:
            if status == VariantStatus.READY:
                ready.to_queue[style_id].append(pk)
            elif status != VariantStatus.RUNNING:
                pending.to_queue[style_id].append(pk)
        queue_plan(ready, regenerate=True)
        queue_plan(pending)
        count = ready.queued_rows + pending.queued_rows
        self.message_user(
            request,
            ngettext("%d variant queued for regeneration.", "%d variants queued for regeneration.", count) % count,
            messages.SUCCESS,
        )


class WeakPhotoFilter(admin.SimpleListFilter):
    title = _("weak photos")
    parameter_name = "weak"

    def lookups(self, request, model_admin):
        return [
            ("weak", _("Weak (dark, flat, blurred or small)")),
            ("ok", _("Good")),
            ("unreadable", _("Unreadable")),
            ("pending", _("Not analysed yet")),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "weak":
            return queryset.filter(is_weak=True)
        if value == "ok":
            return queryset.filter(is_weak=False, last_error="").exclude(quality_score=None)
        if value == "unreadable":
            return queryset.exclude(last_error="")
        if value == "pending":
            return queryset.filter(quality_score=None, last_error="")
        return queryset


@admin.register(ProductPhoto)
class ProductPhotoAdmin(admin.ModelAdmin):
    list_display = ["product", "thumb", "width", "height", "quality_score", "is_weak", "reasons", "updated_at"]
    list_filter = [WeakPhotoFilter]
    list_select_related = ["product"]
    search_fields = ["=product__pk", "source_name", "source_hash"]
    readonly_fields = [f.name for f in ProductPhoto._meta.fields] + ["thumb"]
    actions = ["reanalyse"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("photo"))
    def thumb(self, obj: ProductPhoto) -> str:
        url = _photo_url(obj.product)
        return _thumb(url, str(obj.product), 56) if url else "—"

    @admin.display(description=_("reasons"))
    def reasons(self, obj: ProductPhoto) -> str:
        if obj.last_error:
            return obj.last_error
        return "; ".join(str(reason) for reason in obj.quality_reasons or []) or "—"

    def has_reanalyse_permission(self, request) -> bool:
        return request.user.has_perm("stylerec_plugin.change_productphoto")

    @admin.action(description=_("Analyse the selected photos again"), permissions=["reanalyse"])
    def reanalyse(self, request, queryset: QuerySet) -> None:
        from ..restyling.jobs import queue_sync_product

        product_ids = list(queryset.values_list("product_id", flat=True))
        for pk in product_ids:
            queue_sync_product(pk, force=True)
        self.message_user(request, _("%d photos queued for analysis.") % len(product_ids), messages.SUCCESS)
