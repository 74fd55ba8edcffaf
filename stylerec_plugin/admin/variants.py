"""Admin for restyled variants (read-only, with before/after, gates and review actions) and the
overview of what the pipeline is doing per style (product photo analyses: ``photos``).

Lists show small cached thumbnails (``thumbnails``), never the full-size files: a page of 100
variants stays a few hundred KB."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import ProductPhoto, RestyledImage, Style, VariantStatus
from ..products import get_product_adapter
from ..storage import variant_storage
from .reviews import VariantReviewMixin
from .thumbnails import smallest_copy, thumbnail_response, version_token

THUMB = '<img src="{}" alt="{}" width="48" height="48" loading="lazy" decoding="async" class="stylerec-thumb">'
LARGE = '<img src="{}" alt="{}" loading="lazy" style="max-height:320px;max-width:100%;border-radius:3px">'


def _thumb(url: str, alt: str) -> str:
    return format_html(THUMB, url, alt)


def _large(url: str, alt: str) -> str:
    return format_html(LARGE, url, alt)


def _photo_field(product):
    return get_product_adapter().photo_file(product)


def _photo_url(product) -> str:
    return get_product_adapter().photo_url(product)


class ThumbnailMixin:
    """A ``<pk>/thumbnail.webp`` admin URL serving a small cached thumbnail of one row's image."""

    def thumbnail_source(self, obj) -> tuple[object, str]:  # (storage, name)
        raise NotImplementedError

    def thumbnail_url(self, obj) -> str:
        _storage, name = self.thumbnail_source(obj)
        if not name:
            return ""
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_thumbnail", args=[obj.pk])
        return f"{url}?v={version_token(name)}"

    def thumbnail_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = get_object_or_404(self.model.objects.select_related("product"), pk=object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        storage, name = self.thumbnail_source(obj)
        return thumbnail_response(storage, name)

    def thumbnail_urls(self) -> list:
        opts = self.model._meta
        return [
            path(
                "<int:object_id>/thumbnail.webp",
                self.admin_site.admin_view(self.thumbnail_view),
                name=f"{opts.app_label}_{opts.model_name}_thumbnail",
            )
        ]


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


class SourcePhotoFilter(admin.SimpleListFilter):
    title = _("source photo")
    parameter_name = "photo"

    def lookups(self, request, model_admin):
        return [("weak", _("Weak (dark, flat, blurred or small)")), ("good", _("Good"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "weak":
            return queryset.filter(product__stylerec_photo__is_weak=True)
        if self.value() == "good":
            return queryset.filter(product__stylerec_photo__is_weak=False)
        return queryset


@admin.register(RestyledImage)
class RestyledImageAdmin(VariantReviewMixin, ThumbnailMixin, admin.ModelAdmin):
    # Narrow columns first: at 1366 px the scores and the error stay in view next to the filters.
    # Few, narrow columns: at 1366 px, next to the admin's sidebars, the scores and the error stay in
    # view. Attempts, timings and identity are on each variant's page.
    list_display = [
        "after",
        "product_and_style",
        "status_and_review",
        "scores",
        "short_error",
        "updated",
    ]
    list_display_links = ["after", "product_and_style"]
    list_filter = ["status", "review", "style", SourcePhotoFilter, CurrentFilter, "engine_version", "device"]
    list_select_related = ["product", "style"]
    search_fields = ["=product__pk", "style__slug", "last_error", "source_hash"]
    date_hierarchy = "updated_at"
    actions = ["regenerate", *VariantReviewMixin.review_actions]
    list_per_page = 100
    fieldsets = [
        (None, {"fields": ["product", "style", "status", "before_large", "after_large", "last_error"]}),
        (
            _("Scores"),
            {"fields": ["ssim", "psnr", "strength_used", "width", "height", "duration_ms", "device", "attempts"]},
        ),
        VariantReviewMixin.review_fieldset,
        (
            _("Identity"),
            {"fields": ["source_hash", "style_version", "engine", "engine_version", "image", "job_id"]},
        ),
        (_("Times"), {"fields": ["created_at", "started_at", "finished_at", "updated_at"]}),
    ]

    class Media:
        css = {"all": ["stylerec/admin/stylerec-admin.css"]}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("overview/", view(self.overview_view), name="stylerec_plugin_overview"),
            *self.thumbnail_urls(),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"stylerec_overview_url": reverse("admin:stylerec_plugin_overview"),
                 "stylerec_api_docs_url": _api_docs_url()}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def thumbnail_source(self, obj: RestyledImage):
        name = obj.image.name if obj.image else ""
        return variant_storage(), smallest_copy(name, obj.rendition_widths) if name else ""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in RestyledImage._meta.fields] + ["before_large", "after_large"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewable (read-only); rows change only through the pipeline.
        return False

    @admin.display(description=_("restyled"))
    def after(self, obj: RestyledImage) -> str:
        url = self.thumbnail_url(obj)
        return _thumb(url, f"{obj.product} in {obj.style}") if url else "—"

    @admin.display(description=_("product and style"), ordering="product")
    def product_and_style(self, obj: RestyledImage) -> str:
        return format_html('{}<span class="stylerec-quiet">{} v{}</span>', obj.product, obj.style, obj.style_version)

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, obj: RestyledImage) -> str:
        return date_format(timezone.localtime(obj.updated_at), "j M H:i")

    @admin.display(description=_("original"))
    def before_large(self, obj: RestyledImage) -> str:
        url = _photo_url(obj.product)
        return _large(url, str(obj.product)) if url else "—"

    @admin.display(description=_("restyled"))
    def after_large(self, obj: RestyledImage) -> str:
        if not obj.image:
            return "—"
        return _large(obj.image.url, f"{obj.product} in {obj.style}")

    @admin.display(description=_("error"))
    def short_error(self, obj: RestyledImage) -> str:
        text = obj.last_error or ""
        if len(text) <= 48:
            return text
        return format_html('<span title="{}">{}…</span>', text, text[:45])

    def has_regenerate_permission(self, request) -> bool:
        return request.user.has_perm("stylerec_plugin.change_restyledimage")

    @admin.action(description=_("Regenerate the selected variants"), permissions=["regenerate"])
    def regenerate(self, request, queryset: QuerySet) -> None:
        from ..restyling.requeue import requeue_rows

        count = requeue_rows(queryset)
        self.message_user(
            request,
            ngettext("%d variant queued for regeneration.", "%d variants queued for regeneration.", count) % count,
            messages.SUCCESS,
        )

    # The overview: what the pipeline is doing, per style, with links to the filtered lists.

    def overview_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("StyleRec overview"),
            "opts": self.model._meta,
            **overview_context(),
            "api_docs_url": _api_docs_url(),
        }
        return TemplateResponse(request, "admin/stylerec_plugin/overview.html", context)


OVERVIEW_COLUMNS = [
    # (key, label, changelist query)
    ("ready", _("ready"), "status__exact=ready"),
    ("pending", _("pending or running"), "status__in=pending,running"),
    ("failed", _("failed"), "status__exact=failed"),
    ("rejected", _("rejected"), "status__exact=rejected"),
    ("weak", _("from weak photos"), "photo=weak"),
]


def overview_context() -> dict:
    """Variant counts per style and status in one query, with changelist links; weak photo count."""
    counts = {
        "ready": Count("variants", filter=Q(variants__status=VariantStatus.READY)),
        "pending": Count("variants", filter=Q(variants__status__in=[VariantStatus.PENDING, VariantStatus.RUNNING])),
        "failed": Count("variants", filter=Q(variants__status=VariantStatus.FAILED)),
        "rejected": Count("variants", filter=Q(variants__status=VariantStatus.REJECTED)),
        "weak": Count("variants", filter=Q(variants__product__stylerec_photo__is_weak=True)),
    }
    changelist = reverse("admin:stylerec_plugin_restyledimage_changelist")
    rows = []
    totals = dict.fromkeys(counts, 0)
    for style in Style.objects.annotate(**counts).order_by("sort_order", "name"):
        cells = []
        for key, _label, query in OVERVIEW_COLUMNS:
            value = getattr(style, key)
            totals[key] += value
            cells.append({"key": key, "count": value, "url": f"{changelist}?style__id__exact={style.pk}&{query}"})
        rows.append({"style": style, "cells": cells,
                     "change_url": reverse("admin:stylerec_plugin_style_change", args=[style.pk])})
    photos = reverse("admin:stylerec_plugin_productphoto_changelist")
    return {
        "columns": [{"key": key, "label": label} for key, label, _query in OVERVIEW_COLUMNS],
        "rows": rows,
        "totals": [{"key": key, "count": totals[key], "url": f"{changelist}?{query}"}
                   for key, _label, query in OVERVIEW_COLUMNS],
        "weak_photos": ProductPhoto.objects.filter(is_weak=True).count(),
        "weak_photos_url": f"{photos}?weak=weak",
        "unreadable_photos": ProductPhoto.objects.exclude(last_error="").count(),
        "unreadable_photos_url": f"{photos}?weak=unreadable",
    }


def _api_docs_url() -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("stylerec:docs")
    except NoReverseMatch:
        return ""
