"""Admin for product photo analyses: quality, the product mask, and an admin's own mask or cut-out.

The "product mask" filter lists the photos whose computed mask is not trusted: every
product-true style renders those over the whole frame with the photo's colours kept (the scene
gets texture and light, not the painting's palette), which is where an admin's mask helps.

An uploaded mask (white = product) or cut-out (a PNG whose alpha is the product) is checked by
the engine's ``mask_from_upload`` (its reason shows in the form), wins over the computed mask
until the photo changes, and re-renders that product's current variants.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import ProductPhoto
from .variants import ThumbnailMixin, _large, _photo_field, _thumb

MAX_MASK_UPLOAD = 25 * 1024 * 1024


class ProductMaskForm(forms.ModelForm):
    """Only the upload is editable: everything else on the row is written by workers."""

    mask_upload = forms.FileField(
        label=_("upload a mask or a cut-out"),
        required=False,
        help_text=_("A grey or black-and-white mask the size of the photo (white = product), or a PNG cut-out "
                    "with transparency. It replaces the computed mask and the product's variants are re-made."),
    )

    class Meta:
        model = ProductPhoto
        fields: list[str] = []

    def clean_mask_upload(self):
        from ..restyling.masks import validate_upload

        upload = self.cleaned_data.get("mask_upload")
        if not upload:
            return None
        if upload.size > MAX_MASK_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 25 MB."))
        try:
            return validate_upload(upload.read(), self.instance)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


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


class ProductMaskFilter(admin.SimpleListFilter):
    title = _("product mask")
    parameter_name = "mask"

    def lookups(self, request, model_admin):
        return [
            ("trusted", _("Trusted: the scene is styled, the product keeps its colours")),
            ("untrusted", _("Not trusted: styled over the whole frame, colours kept (upload a mask)")),
            ("uploaded", _("Uploaded by an admin")),
            ("none", _("None yet")),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        from ..restyling.masks import current_mask_condition, untrusted_mask_condition

        value = self.value()
        if value == "trusted":
            return queryset.filter(current_mask_condition()).exclude(untrusted_mask_condition())
        if value == "untrusted":
            return queryset.filter(untrusted_mask_condition())
        if value == "uploaded":
            return queryset.filter(current_mask_condition(), mask_uploaded=True)
        if value == "none":
            return queryset.exclude(current_mask_condition())
        return queryset


@admin.register(ProductPhoto)
class ProductPhotoAdmin(ThumbnailMixin, admin.ModelAdmin):
    form = ProductMaskForm
    list_display = ["product", "thumb", "width", "height", "quality_score", "is_weak", "mask_summary", "reasons",
                    "updated_at"]
    list_filter = [WeakPhotoFilter, ProductMaskFilter]
    list_select_related = ["product"]
    search_fields = ["=product__pk", "source_name", "source_hash"]
    readonly_fields = [f.name for f in ProductPhoto._meta.fields] + ["thumb", "mask_preview"]
    actions = ["reanalyse"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Changing means uploading a mask: every other field is read-only (workers write them).
        return request.user.has_perm("stylerec_plugin.change_productphoto")

    def save_model(self, request, obj: ProductPhoto, form, change) -> None:
        from ..restyling.masks import store_uploaded_mask

        mask = form.cleaned_data.get("mask_upload")
        if mask is None:
            return
        count = store_uploaded_mask(obj, mask)
        self.message_user(
            request,
            ngettext("The uploaded mask is the product's mask now; %d variant is being re-made.",
                     "The uploaded mask is the product's mask now; %d variants are being re-made.", count) % count,
            messages.SUCCESS,
        )

    @admin.display(description=_("mask"))
    def mask_summary(self, obj: ProductPhoto) -> str:
        if not obj.has_current_mask:
            return "—"
        who = _("uploaded") if obj.mask_uploaded else obj.mask_method
        summary = f"{obj.mask_confidence or 0:.2f} {who}"
        return summary if obj.mask_is_trusted else f"{summary}, {_('not trusted')}"

    @admin.display(description=_("product mask"))
    def mask_preview(self, obj: ProductPhoto) -> str:
        if not obj.has_current_mask:
            return _("None yet: workers compute one when the photo is analysed.")
        preview = format_html("{}<p>{}</p>", _large(obj.mask.url, _("mask")), self.mask_summary(obj))
        if obj.mask_is_trusted:
            return preview
        from ..engine.segment import LOW_CONFIDENCE

        why = _(
            "This mask is not trusted to cut along (confidence %(confidence).2f, under %(floor).2f): every "
            "product-true style renders this photo over the whole frame with its colours kept, so the scene "
            "gets only the style's texture and light. Upload a mask or a cut-out below to style the scene fully."
        ) % {"confidence": obj.mask_confidence or 0.0, "floor": LOW_CONFIDENCE}
        return format_html('{}<p class="stylerec-mask-untrusted">{}</p>', preview, why)

    class Media:
        css = {"all": ["stylerec/admin/stylerec-admin.css"]}

    def get_urls(self):
        return self.thumbnail_urls() + super().get_urls()

    def thumbnail_source(self, obj: ProductPhoto):
        field_file = _photo_field(obj.product)
        return (field_file.storage, field_file.name) if field_file is not None else (None, "")

    @admin.display(description=_("photo"))
    def thumb(self, obj: ProductPhoto) -> str:
        url = self.thumbnail_url(obj)
        return _thumb(url, str(obj.product)) if url else "—"

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
