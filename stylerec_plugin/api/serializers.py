from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Interaction, InteractionKind, Style, StylePreference
from ..products import get_product_adapter
from ..storefront.photos import Photo
from ..validators import validate_image_upload


class StyleSerializer(serializers.ModelSerializer):
    """Styles; the model's own validators (hex colours, fixed fonts, image uploads) apply."""

    reference_image = serializers.ImageField(
        required=False, allow_null=True, validators=[validate_image_upload], use_url=True
    )
    css_variables = serializers.SerializerMethodField()
    display_name = serializers.CharField(
        read_only=True, help_text=_("The name in the request's language (a translation, else the name)")
    )
    display_description = serializers.CharField(
        read_only=True, help_text=_("The description in the request's language")
    )

    class Meta:
        model = Style
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "display_name",
            "display_description",
            "kind",
            "reference_image",
            "preset_weights",
            "strength",
            "preserve_colour",
            "quality_floor",
            "render_mode",
            "colour_limit",
            "theme_primary",
            "theme_accent",
            "theme_background",
            "theme_surface",
            "theme_text",
            "theme_font",
            "css_variables",
            "is_active",
            "sort_order",
            "version",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "updated_at", "css_variables", "display_name", "display_description"]
        # A form (multipart) POST that leaves a checkbox out means "unchecked" to DRF; a new
        # style is active unless it says otherwise, as in the admin and in JSON.
        extra_kwargs = {"is_active": {"default": True}}

    def get_css_variables(self, style: Style) -> dict[str, str]:
        from ..themes import css_variables

        return css_variables(style.theme)

    def validate(self, attrs: dict) -> dict:
        # Run the model's clean() (reference needed, preset weights) on the merged values.
        instance = Style(**{**self._current_values(), **attrs})
        try:
            instance.clean()
        except Exception as exc:  # django ValidationError -> DRF's
            from django.core.exceptions import ValidationError as DjangoValidationError

            if isinstance(exc, DjangoValidationError):
                raise serializers.ValidationError(serializers.as_serializer_error(exc)) from None
            raise
        return attrs

    def _current_values(self) -> dict:
        if self.instance is None:
            return {}
        return {
            field: getattr(self.instance, field)
            for field in ("kind", "reference_image", "preset_weights", "name", "slug")
        }


class PhotoSerializer(serializers.Serializer):
    url = serializers.CharField()
    srcset = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    alt = serializers.CharField()
    style = serializers.SerializerMethodField()
    is_original = serializers.BooleanField()

    def get_style(self, photo: Photo) -> str | None:
        return photo.style.slug if photo.style is not None else None


class RecommendationSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    price = serializers.CharField(allow_null=True, help_text=_("The amount, e.g. 12.50"))
    currency = serializers.CharField(allow_null=True, help_text=_("ISO code when the shop says, e.g. GBP"))
    url = serializers.CharField()
    score = serializers.FloatField()
    reason = serializers.CharField()
    reason_code = serializers.CharField()
    personal = serializers.BooleanField(
        help_text=_("Here because of this shopper (what they looked at, similar shoppers, their styles)")
    )
    photo = PhotoSerializer()


class PreferenceItemSerializer(serializers.ModelSerializer):
    style = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    style_name = serializers.CharField(source="style.display_name", read_only=True)

    class Meta:
        model = StylePreference
        fields = ["style", "style_name", "weight", "source", "updated_at"]


class MyPreferencesSerializer(serializers.Serializer):
    """What a shopper may change: their picked styles (favourite first) and consent."""

    styles = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=Style.objects.filter(is_active=True),
        help_text=_("Slugs of the styles you like, favourite first; [] clears your picks."),
    )
    personalisation_enabled = serializers.BooleanField(required=False)

    def validate_styles(self, styles: list[Style]) -> list[Style]:
        if len(styles) > 20:
            raise serializers.ValidationError(_("Pick at most 20 styles."))
        return styles


class InteractionSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=get_product_adapter().queryset())
    style = serializers.SlugRelatedField(
        slug_field="slug", queryset=Style.objects.all(), required=False, allow_null=True
    )
    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    value = serializers.FloatField(required=False, allow_null=True, min_value=1, max_value=5)

    class Meta:
        model = Interaction
        fields = ["id", "product", "kind", "value", "style", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs: dict) -> dict:
        kind, value = attrs.get("kind"), attrs.get("value")
        if kind == InteractionKind.RATING and value is None:
            raise serializers.ValidationError({"value": _("A rating needs a value from 1 to 5.")})
        if kind != InteractionKind.RATING and value is not None:
            raise serializers.ValidationError({"value": _("Only ratings carry a value.")})
        style = attrs.get("style")
        if style is not None and not style.is_active:
            raise serializers.ValidationError({"style": _("That style is not available.")})
        return attrs


class VariantGatesSerializer(serializers.Serializer):
    colour_mean_de = serializers.FloatField(allow_null=True, help_text=_("Product's mean colour shift, CIELAB ΔE"))
    colour_dominant_de = serializers.FloatField(allow_null=True, help_text=_("Largest dominant-colour shift, ΔE"))
    region_ssim = serializers.FloatField(allow_null=True, help_text=_("SSIM on the product region"))
    scene_change = serializers.FloatField(allow_null=True, help_text=_("How much the scene changed (visibly styled)"))
    mask_confidence = serializers.FloatField(allow_null=True, help_text=_("Confidence of the product mask, 0-1"))


class VariantSerializer(serializers.Serializer):
    style = serializers.CharField(help_text=_("Style slug"))
    style_name = serializers.CharField()
    status = serializers.CharField(help_text=_("ready, running, pending, failed, rejected or missing"))
    shown = serializers.BooleanField(
        help_text=_("Shoppers see it: ready and not withdrawn, or rejected and approved by an admin")
    )
    review = serializers.CharField(allow_null=True, help_text=_("approved, withdrawn or null (the gates decide)"))
    url = serializers.CharField(allow_null=True, help_text=_("Only when shown"))
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    style_version = serializers.IntegerField(allow_null=True)
    is_current = serializers.BooleanField(help_text=_("Made from the style's current version"))
    render_mode = serializers.CharField(help_text=_("product_true, or artistic (recolours products)"))
    colour_limit = serializers.FloatField(help_text=_("The style's limit on the product's colour shift, ΔE"))
    gates = VariantGatesSerializer(allow_null=True)
    reason = serializers.CharField(allow_null=True, help_text=_("Why a rejected variant is not shown"))
