"""The variant admin's review controls: the gates' scores as compact columns, approve a rejected
variant, withdraw a shown one, and re-run chosen variants at a strength the admin picks.

A decision is stored with what it was made for (the photo's hash and the style version): a
re-run keeps it, a new photo or a new style version makes new rows that the gates decide again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import RestyledImage, Review, VariantStatus


class RerunStrengthForm(forms.Form):
    strength = forms.FloatField(
        label=_("strength"),
        min_value=0.05,
        max_value=1.0,
        help_text=_("0.05-1. Rendered at this strength only (no retries); the gates still decide what is shown."),
    )


def _score(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class VariantReviewMixin:
    """Columns, fields and actions for reviewing variants (mixed into ``RestyledImageAdmin``)."""

    review_fieldset = (
        _("Gates and review"),
        {
            "fields": [
                "colour_mean_de", "colour_dominant_de", "region_ssim", "scene_change", "mask_confidence",
                "strength_override", "review", "reviewed_by", "reviewed_at", "review_source_hash",
                "review_style_version",
            ]
        },
    )
    review_actions = ["approve", "withdraw", "clear_review", "rerun_at_strength"]

    # ------------------------------------------------------------------ columns (short: 100 rows stay small)

    @admin.display(description=_("status"), ordering="status")
    def status_and_review(self, obj: RestyledImage) -> str:
        label = obj.get_status_display() if obj.status != VariantStatus.REJECTED else _("Rejected")
        if obj.review and obj.review_applies:
            short = obj.get_review_display().split(":")[0]
            return format_html('{}<span class="stylerec-quiet">{}</span>', label, short)
        return label

    @admin.display(description=_("scores"), ordering="colour_mean_de")
    def scores(self, obj: RestyledImage) -> str:
        """Two short lines: the product's colour shift (mean/dominant ΔE, bold over the style's limit),
        then product SSIM, scene change and the strength used."""
        second = format_html(
            '<span class="stylerec-quiet">SSIM {} · {} {} · s {}</span>',
            _score(obj.region_ssim, 2), _("scene"), _score(obj.scene_change, 1), _score(obj.strength_used, 2),
        )
        if obj.colour_mean_de is None:
            return format_html("ΔE —{}", second)
        limit = obj.style.colour_limit
        shift = f"{obj.colour_mean_de:.1f}/{_score(obj.colour_dominant_de, 1)}"
        if obj.colour_mean_de > limit or (obj.colour_dominant_de or 0) > limit:
            return format_html('ΔE <b title="{}">{}</b>{}', _("over the limit of %g") % limit, shift, second)
        return format_html("ΔE {}{}", shift, second)

    # ------------------------------------------------------------------ actions

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("stylerec_plugin.change_restyledimage")

    def _decide(self, request, queryset: QuerySet, review: str, statuses: tuple[str, ...]) -> int:
        return queryset.filter(status__in=statuses).update(
            review=review,
            reviewed_by=request.user.get_username()[:150],
            reviewed_at=timezone.now(),
            review_source_hash=F("source_hash"),
            review_style_version=F("style_version"),
        )

    @admin.action(description=_("Approve: show the selected rejected variants"), permissions=["review"])
    def approve(self, request, queryset: QuerySet) -> None:
        count = self._decide(request, queryset.exclude(image=""), Review.APPROVED, (VariantStatus.REJECTED,))
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext("%d rejected variant approved: shoppers see it.",
                     "%d rejected variants approved: shoppers see them.", count) % count,
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(request, _("%d selected were not rejected variants with a file; left alone.") % skipped,
                              messages.WARNING)

    @admin.action(description=_("Withdraw: never show the selected variants"), permissions=["review"])
    def withdraw(self, request, queryset: QuerySet) -> None:
        count = self._decide(request, queryset, Review.WITHDRAWN, (VariantStatus.READY, VariantStatus.REJECTED))
        self.message_user(
            request,
            ngettext("%d variant withdrawn: shoppers see the original photo.",
                     "%d variants withdrawn: shoppers see the original photos.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Clear the review: the gates decide again"), permissions=["review"])
    def clear_review(self, request, queryset: QuerySet) -> None:
        count = queryset.exclude(review="").update(
            review="", reviewed_by=request.user.get_username()[:150], reviewed_at=timezone.now(),
            review_source_hash="", review_style_version=None,
        )
        self.message_user(request, _("%d reviews cleared.") % count, messages.SUCCESS)

    @admin.action(description=_("Re-run at a chosen strength…"), permissions=["review"])
    def rerun_at_strength(self, request, queryset: QuerySet):
        from ..restyling.requeue import rerun_at_strength

        if "apply" in request.POST:
            form = RerunStrengthForm(request.POST)
            if form.is_valid():
                count = rerun_at_strength(queryset, form.cleaned_data["strength"])
                self.message_user(
                    request,
                    ngettext("%(n)d variant queued at strength %(s).2f.", "%(n)d variants queued at strength %(s).2f.",
                             count) % {"n": count, "s": form.cleaned_data["strength"]},
                    messages.SUCCESS,
                )
                return None
        else:
            first = queryset.exclude(strength_used=None).first()
            form = RerunStrengthForm(initial={"strength": round(first.strength_used, 2) if first else 0.6})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Re-run at a chosen strength"),
            "opts": self.model._meta,
            "form": form,
            "rows": list(queryset.select_related("product", "style")[:50]),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": "rerun_at_strength",
        }
        return TemplateResponse(request, "admin/stylerec_plugin/restyledimage/rerun_strength.html", context)
