"""The style admin: a colour picker with a live, contrast-checked theme preview, fields that follow
the chosen kind, and a gallery of the 26 presets instead of typing JSON."""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Style, StyleKind, StyleTranslation
from ..models.styles import DEFAULT_COLOUR_LIMIT, RenderMode, normalise_preset_weights
from ..themes import THEME_FIELDS, adjustments, contrast_checks, css_variables

# The fields each kind of style uses; the form hides the others (all stay visible without JavaScript).
_EVERY_KIND = ["render_mode", "colour_limit"]
KIND_FIELDS: dict[str, list[str]] = {
    StyleKind.REFERENCE: ["reference_image", "reference_preview", "strength", "preserve_colour", "quality_floor",
                          *_EVERY_KIND],
    StyleKind.PRESET: ["preset_weights", "strength", "preserve_colour", "quality_floor", *_EVERY_KIND],
    StyleKind.TONE: ["reference_image", "reference_preview", "strength", "quality_floor", *_EVERY_KIND],
    StyleKind.ENHANCE: ["strength", "quality_floor", *_EVERY_KIND],
}
ARTISTIC_WARNING = _(
    "%(name)s is artistic: it recolours products, so shoppers may see a product in colours it is not sold in. "
    "Product-true keeps the product's colours."
)
KIND_DEPENDENT = sorted({name for names in KIND_FIELDS.values() for name in names})


class ColourInput(forms.TextInput):
    """The browser's colour picker (``<input type="color">``); the value stays ``#rrggbb``."""

    input_type = "color"


class PresetGalleryWidget(forms.Textarea):
    """The 26 presets as pictures to tick, each with a weight for blends; writes the JSON field.

    The JSON textarea stays in the page: it is what is submitted, and without JavaScript it is
    the way to edit."""

    template_name = "admin/stylerec_plugin/style/preset_gallery_widget.html"

    def __init__(self, attrs=None):
        super().__init__({"rows": 2, "cols": 60, "class": "stylerec-preset-json", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value or {})

    def get_context(self, name, value, attrs):
        from ..restyling.preset_gallery import gallery_tiles

        context = super().get_context(name, value, attrs)
        try:
            weights = normalise_preset_weights(json.loads(value) if isinstance(value, str) else value, strict=False)
        except ValueError:
            weights = {}
        tiles, manifest = gallery_tiles()
        context["tiles"] = [{"index": tile.index, "url": tile.url, "weight": weights.get(str(tile.index), 0)}
                            for tile in tiles]
        context["gallery_sample"] = (manifest or {}).get("sample", "")
        context["has_gallery"] = manifest is not None
        return context


class StyleAdminForm(forms.ModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left out of a submission (a script, an older form), they keep their defaults.
        for name in ("render_mode", "colour_limit"):
            self.fields[name].required = False

    def clean_render_mode(self) -> str:
        return self.cleaned_data.get("render_mode") or RenderMode.PRODUCT_TRUE

    def clean_colour_limit(self) -> float:
        value = self.cleaned_data.get("colour_limit")
        return DEFAULT_COLOUR_LIMIT if value is None else value

    class Meta:
        model = Style
        fields = [
            "name", "slug", "description", "kind", "is_active", "sort_order", "reference_image", "preset_weights",
            "strength", "preserve_colour", "quality_floor", "render_mode", "colour_limit",
            *(field for _key, field in THEME_FIELDS), "theme_font",
        ]
        widgets = {
            **{field: ColourInput() for _key, field in THEME_FIELDS},
            "preset_weights": PresetGalleryWidget(),
        }


def _language_choices() -> list[tuple[str, str]]:
    from django.conf import settings as django_settings

    return [(code.lower(), name) for code, name in django_settings.LANGUAGES]


class StyleTranslationForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=_language_choices)

    class Meta:
        model = StyleTranslation
        fields = ["language", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 50})}


class StyleTranslationInline(admin.TabularInline):
    """The style's name and description for shoppers in other languages."""

    model = StyleTranslation
    form = StyleTranslationForm
    extra = 0
    verbose_name_plural = _("Name and description in other languages")


@admin.register(StyleTranslation)
class StyleTranslationAdmin(admin.ModelAdmin):
    """Translations are edited on their style; this list finds them across styles."""

    form = StyleTranslationForm
    list_display = ["name", "language", "style"]
    list_filter = ["language"]
    list_select_related = ["style"]
    search_fields = ["name", "description", "style__name"]

    def get_model_perms(self, request) -> dict:
        return {}  # not on the admin index: edit translations on their style


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    form = StyleAdminForm
    inlines = [StyleTranslationInline]
    change_form_template = "admin/stylerec_plugin/style/change_form.html"
    list_display = [
        "name", "reference_thumb", "kind", "mode", "strength", "palette", "is_active", "version", "variant_counts",
        "preview_link", "sort_order"
    ]
    list_editable = ["is_active", "sort_order"]
    list_filter = ["kind", "render_mode", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["reference_preview", "palette", "theme_preview", "version", "reference_hash", "created_at",
                       "updated_at"]
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
                    "render_mode",
                    "colour_limit",
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
                    "theme_preview",
                ]
            },
        ),
    ]

    # Restyling pipeline (helper D): counts by status in the list query, and a regenerate action.
    actions = ["regenerate_variants", "preview_on_samples"]
    VARIANT_STATUSES = ("ready", "pending", "running", "failed", "rejected")

    class Media:
        css = {"all": ["stylerec/admin/stylerec-admin.css"]}
        js = ["stylerec/admin/style-form.js"]

    def render_change_form(self, request, context, *args, **kwargs):
        context["stylerec_kind_fields"] = {str(kind): names for kind, names in KIND_FIELDS.items()}
        context["stylerec_kind_dependent"] = KIND_DEPENDENT
        return super().render_change_form(request, context, *args, **kwargs)

    def changelist_view(self, request, extra_context=None):
        from .variants import _api_docs_url

        return super().changelist_view(request, {"stylerec_api_docs_url": _api_docs_url(), **(extra_context or {})})

    def save_model(self, request, obj: Style, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The palette is kept as picked (brand fills); shades used as text are derived: say which.
        for note in adjustments(obj.theme):
            self.message_user(request, f"{obj.name}: {note}", messages.WARNING)
        if obj.is_artistic:
            self.message_user(request, ARTISTIC_WARNING % {"name": obj.name}, messages.WARNING)

    @admin.display(description=_("render mode"), ordering="render_mode")
    def mode(self, obj: Style) -> str:
        if obj.is_artistic:
            return format_html('<strong class="stylerec-warning" title="{}">⚠ {}</strong>',
                               ARTISTIC_WARNING % {"name": obj.name}, _("Artistic: recolours products"))
        return _("Product-true")

    def get_urls(self):
        from .previews import preview_urls

        return preview_urls(self) + super().get_urls()

    @admin.display(description=_("preview"))
    def preview_link(self, obj: Style) -> str:
        from django.urls import reverse

        if obj.is_active and not obj.preview_products:
            return "—"
        url = reverse("admin:stylerec_plugin_style_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("samples") if obj.preview_products else _("preview"))

    def has_preview_on_samples_permission(self, request) -> bool:
        return request.user.has_perm("stylerec_plugin.change_style")

    @admin.action(description=_("Preview on sample products (inactive styles)"), permissions=["preview_on_samples"])
    def preview_on_samples(self, request, queryset):
        from .previews import start_previews

        return start_previews(self, request, queryset)

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

    @admin.display(description=_("preview and contrast"))
    def theme_preview(self, obj: Style) -> str:
        theme = obj.theme
        declarations = " ".join(f"{name}: {value};" for name, value in css_variables(theme).items())
        return mark_safe(  # noqa: S308 - the template escapes; values are validated colours and fixed stacks
            render_to_string(
                "admin/stylerec_plugin/style/theme_preview.html",
                {"declarations": declarations, "checks": contrast_checks(theme), "notes": adjustments(theme)},
            )
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
