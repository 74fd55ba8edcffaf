from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..themes import DEFAULT_THEME, FONT_CHOICES, validate_font, validate_hex_colour, validate_palette
from ..validators import validate_image_upload

PRESET_COUNT = 26


class RenderMode(models.TextChoices):
    """How a style treats the product: product-true keeps its colours, artistic recolours the whole frame."""

    PRODUCT_TRUE = "product_true", _("Product-true: the scene is styled, the product keeps its colours")
    ARTISTIC = "artistic", _("Artistic: recolours products")


DEFAULT_COLOUR_LIMIT = 10.0


class StyleKind(models.TextChoices):
    REFERENCE = "reference", _("Reference image (arbitrary style network)")
    PRESET = "preset", _("Pretrained preset (26-style network)")
    TONE = "tone", _("Photographic tone transfer")
    ENHANCE = "enhance", _("Photo enhancement (exposure, contrast, sharpness)")


def _colour_field(default: str, label: str) -> models.CharField:
    return models.CharField(
        _(label), max_length=7, default=default, validators=[validate_hex_colour]
    )


class Style(models.Model):
    """A look a product photo can be restyled into, plus the UI theme that goes with it."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=StyleKind.choices)
    reference_image = models.ImageField(
        _("reference image"),
        upload_to="stylerec/styles",
        blank=True,
        validators=[validate_image_upload],
        help_text=_("A painting or photo for reference and tone styles."),
    )
    reference_hash = models.CharField(max_length=64, blank=True, editable=False)
    preset_weights = models.JSONField(
        _("preset weights"),
        default=dict,
        blank=True,
        help_text=_('For preset styles: {"index": weight} over presets 0-25, e.g. {"19": 1}.'),
    )
    strength = models.FloatField(
        _("strength"),
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    preserve_colour = models.BooleanField(_("preserve colours"), default=False)
    quality_floor = models.FloatField(
        _("recognisability floor"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Minimum content SSIM; empty uses the site default."),
    )
    render_mode = models.CharField(
        _("render mode"),
        max_length=16,
        choices=RenderMode.choices,
        default=RenderMode.PRODUCT_TRUE,
        help_text=_("Artistic styles may show the product in colours it is not sold in."),
    )
    colour_limit = models.FloatField(
        _("colour limit (ΔE)"),
        default=DEFAULT_COLOUR_LIMIT,
        validators=[MinValueValidator(1.0), MaxValueValidator(60.0)],
        help_text=_("Largest shift of the product's colours (CIELAB ΔE, mean and dominant) a variant may show."),
    )
    theme_primary = _colour_field(DEFAULT_THEME["primary"], "primary colour")
    theme_accent = _colour_field(DEFAULT_THEME["accent"], "accent colour")
    theme_background = _colour_field(DEFAULT_THEME["background"], "background colour")
    theme_surface = _colour_field(DEFAULT_THEME["surface"], "surface colour")
    theme_text = _colour_field(DEFAULT_THEME["text"], "text colour")
    theme_font = models.CharField(
        _("font"),
        max_length=16,
        choices=FONT_CHOICES,
        default=DEFAULT_THEME["font"],
        validators=[validate_font],
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False,
        help_text=_("Increases whenever something that changes the output changes."),
    )
    output_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    sort_order = models.IntegerField(_("order"), default=0)
    # A preview before the style goes live: the sample products (chosen by photo quality) that
    # workers render even while the style is inactive, and when that was asked for.
    preview_products = models.JSONField(default=list, blank=True, editable=False)
    preview_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The reference's 100-d style vector, written by a worker (never the web side).
    style_vector = models.JSONField(null=True, blank=True, editable=False)
    style_vector_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("style")
        verbose_name_plural = _("styles")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self._refresh_reference_hash()
        fingerprint = self.compute_output_fingerprint()
        if self.output_fingerprint and fingerprint != self.output_fingerprint:
            self.version += 1
        self.output_fingerprint = fingerprint
        super().save(*args, **kwargs)
        self._loaded_reference_name = self.reference_image.name if self.reference_image else None


    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_reference_name = instance.__dict__.get("reference_image")
        return instance

    @property
    def is_artistic(self) -> bool:
        return self.render_mode == RenderMode.ARTISTIC

    @property
    def theme(self) -> dict[str, str]:
        return {
            "primary": self.theme_primary,
            "accent": self.theme_accent,
            "background": self.theme_background,
            "surface": self.theme_surface,
            "text": self.theme_text,
            "font": self.theme_font,
        }

    def effective_floor(self) -> float:
        from ..conf import settings

        return self.quality_floor if self.quality_floor is not None else settings.QUALITY_FLOOR

    def clean(self) -> None:
        errors: dict[str, str] = {}
        needs_reference = self.kind in (StyleKind.REFERENCE, StyleKind.TONE)
        if needs_reference and not self.reference_image:
            errors["reference_image"] = _("This kind of style needs a reference image.")
        if self.kind == StyleKind.PRESET:
            try:
                normalise_preset_weights(self.preset_weights)
            except ValueError as exc:
                errors["preset_weights"] = str(exc)
        try:
            validate_palette(self.theme)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)

    # Shopper-facing text in the current language (StyleTranslation rows), else as entered.

    def translated(self, field: str, language: str | None = None) -> str:
        """``name`` or ``description`` in ``language`` (default: the active one).

        Tries the exact code ("zh-hans"), then its base ("zh"), then the text as entered.
        Uses prefetched ``translations`` when present (``prefetch_related("translations")``
        keeps a list of styles at one extra query); otherwise one query per style and language.
        """
        from django.utils.translation import get_language

        code = (language or get_language() or "").lower()
        if code and self.pk:
            rows = self._translations_for(code)
            for candidate in (code, code.split("-")[0]):
                row = rows.get(candidate)
                if row is not None and getattr(row, field):
                    return getattr(row, field)
        return getattr(self, field)

    def _translations_for(self, code: str) -> dict:
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("translations")
        if prefetched is not None:
            return {row.language.lower(): row for row in prefetched}
        cache = self.__dict__.setdefault("_translation_cache", {})
        if code not in cache:
            wanted = {code, code.split("-")[0]}
            cache[code] = {row.language.lower(): row for row in self.translations.filter(language__in=wanted)}
        return cache[code]

    @property
    def display_name(self) -> str:
        return self.translated("name")

    @property
    def display_description(self) -> str:
        return self.translated("description")

    def _refresh_reference_hash(self) -> None:
        ref = self.reference_image
        loaded = getattr(self, "_loaded_reference_name", None)
        if not ref:
            self.reference_hash = ""
        elif not getattr(ref, "_committed", True) or ref.name != loaded or not self.reference_hash:
            # A new upload (or a renamed file): hash its bytes once, here.
            digest = hashlib.sha256()
            ref.open("rb")
            try:
                for chunk in ref.chunks():
                    digest.update(chunk)
            finally:
                ref.seek(0)
            self.reference_hash = digest.hexdigest()

    def compute_output_fingerprint(self) -> str:
        payload = {
            "kind": self.kind,
            "reference": self.reference_hash if self.kind != StyleKind.PRESET else "",
            "preset": normalise_preset_weights(self.preset_weights, strict=False)
            if self.kind == StyleKind.PRESET
            else {},
            "strength": round(float(self.strength), 4),
            "preserve_colour": bool(self.preserve_colour),
            "floor": None if self.quality_floor is None else round(float(self.quality_floor), 4),
        }
        # Only non-default values join the payload: a style saved before these fields existed
        # keeps its fingerprint (no re-render of every variant on an unrelated edit).
        if self.render_mode != RenderMode.PRODUCT_TRUE:
            payload["mode"] = self.render_mode
        if round(float(self.colour_limit), 2) != DEFAULT_COLOUR_LIMIT:
            payload["colour_limit"] = round(float(self.colour_limit), 2)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

class StyleTranslation(models.Model):
    """A style's name and description in one language, for shoppers (the admin enters them inline).

    ``language`` is a code from ``settings.LANGUAGES`` ("zh-hans", "de"...); a missing or empty
    translation falls back to the style's own text.
    """

    style = models.ForeignKey(Style, on_delete=models.CASCADE, related_name="translations",
                              verbose_name=_("style"))
    language = models.CharField(_("language"), max_length=15)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["style", "language"], name="stylerec_style_translation_language"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def clean(self) -> None:
        from django.conf import settings as django_settings

        codes = {code.lower() for code, _name in django_settings.LANGUAGES}
        self.language = (self.language or "").lower()
        if self.language not in codes:
            raise ValidationError(
                {"language": _("%(code)s is not one of this site's languages (settings.LANGUAGES).")
                 % {"code": self.language}}
            )


def normalise_preset_weights(weights: object, strict: bool = True) -> dict[str, float]:
    """Validate ``{"index": weight}`` over the 26 presets; return it with weights summing to 1."""
    if not isinstance(weights, dict) or not weights:
        if strict:
            raise ValueError('Give at least one preset, like {"19": 1}.')
        return {}
    cleaned: dict[str, float] = {}
    for key, value in weights.items():
        try:
            index = int(key)
            weight = float(value)
        except (TypeError, ValueError):
            if strict:
                raise ValueError(f"{key!r}: {value!r} is not an index and a number.") from None
            continue
        if not 0 <= index < PRESET_COUNT:
            if strict:
                raise ValueError(f"Preset {index} does not exist (0-{PRESET_COUNT - 1}).")
            continue
        if weight < 0:
            if strict:
                raise ValueError("Preset weights cannot be negative.")
            continue
        cleaned[str(index)] = cleaned.get(str(index), 0.0) + weight
    total = sum(cleaned.values())
    if total <= 0:
        if strict:
            raise ValueError("Preset weights must add up to more than zero.")
        return {}
    return {k: round(v / total, 6) for k, v in sorted(cleaned.items(), key=lambda kv: int(kv[0]))}
