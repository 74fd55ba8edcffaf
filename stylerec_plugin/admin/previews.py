"""A style's preview before it goes live: its variants of 6-12 sample products, rendered by workers.

The style list's action (or the "preview" link of an inactive style) picks the samples by photo
quality and queues their renders; the preview page shows each sample's original next to its
variant, with the status (pending, ready, rejected with the reason) and the gates' scores.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from ..models import Style


def preview_urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view

    def preview(request: HttpRequest, object_id: int):
        return preview_view(model_admin, request, object_id)

    return [path("<int:object_id>/preview/", view(preview), name="stylerec_plugin_style_preview")]


def start_previews(model_admin, request: HttpRequest, queryset):
    """The action: preview each selected inactive style; an active one is live already (left alone)."""
    from ..restyling.preview import request_preview

    inactive = list(queryset.filter(is_active=False))
    if len(inactive) < queryset.count():
        model_admin.message_user(
            request, _("Active styles are live already: only inactive styles are previewed."), messages.WARNING
        )
    for style in inactive:
        samples = request_preview(style)
        model_admin.message_user(
            request, _("%(name)s: rendering %(n)d sample products.") % {"name": style.name, "n": len(samples)},
            messages.SUCCESS,
        )
    if len(inactive) == 1:
        return HttpResponseRedirect(reverse("admin:stylerec_plugin_style_preview", args=[inactive[0].pk]))
    return None


def preview_view(model_admin, request: HttpRequest, object_id: int) -> TemplateResponse | HttpResponseRedirect:
    from ..products import get_product_adapter
    from ..restyling.preview import preview_rows, request_preview

    style = get_object_or_404(Style, pk=object_id)
    if not model_admin.has_view_permission(request, style):
        raise PermissionDenied
    if request.method == "POST":
        if not model_admin.has_change_permission(request, style):
            raise PermissionDenied
        if style.is_active:
            model_admin.message_user(request, _("%s is live already.") % style.name, messages.WARNING)
        else:
            request_preview(style)
        return HttpResponseRedirect(request.path)
    adapter = get_product_adapter()
    samples = []
    for entry in preview_rows(style):
        variant = entry["variant"]
        samples.append(
            {
                "name": adapter.name(entry["product"]),
                "original_url": adapter.photo_url(entry["product"]),
                "variant": variant,
                "variant_url": variant.image.url if variant is not None and variant.image else "",
                "status": variant.status if variant is not None else "missing",
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Preview of %s") % style.name,
        "opts": Style._meta,
        "original": style,
        "style": style,
        "samples": samples,
        "waiting": sum(1 for sample in samples if sample["status"] in ("pending", "running", "missing")),
        "can_start": not style.is_active and model_admin.has_change_permission(request, style),
    }
    return TemplateResponse(request, "admin/stylerec_plugin/style/preview.html", context)
