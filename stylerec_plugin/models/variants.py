from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import product_model_label
from ..storage import mask_upload_to, variant_storage, variant_upload_to


class VariantStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected (product not recognisable)")


class Review(models.TextChoices):
    """An admin's decision on one variant; it holds for the photo and style version it was made for."""

    NONE = "", _("Not reviewed (the gates decide)")
    APPROVED = "approved", _("Approved: shown although the gates rejected it")
    WITHDRAWN = "withdrawn", _("Withdrawn: never shown")


def shown_condition() -> models.Q:
    """The rows shoppers may see: ready and not withdrawn, or rejected and approved by an admin."""
    made_for_row = models.Q(review_source_hash=models.F("source_hash"), review_style_version=models.F("style_version"))
    ready = models.Q(status=VariantStatus.READY) & ~(models.Q(review=Review.WITHDRAWN) & made_for_row)
    approved = models.Q(status=VariantStatus.REJECTED, review=Review.APPROVED) & made_for_row
    return (ready | approved) & ~models.Q(image="")


class RestyledImage(models.Model):
    """One product photo in one style, made by one engine version.

    Identity is the content, not the file name: the product, its photo's
    content hash, the style and its version, and the engine version.
    """

    product = models.ForeignKey(
        product_model_label(),
        on_delete=models.CASCADE,
        related_name="stylerec_variants",
        verbose_name=_("product"),
    )
    style = models.ForeignKey(
        "stylerec_plugin.Style",
        on_delete=models.CASCADE,
        related_name="variants",
        verbose_name=_("style"),
    )
    style_version = models.PositiveIntegerField(_("style version"))
    engine = models.CharField(_("engine"), max_length=32)
    engine_version = models.CharField(_("engine version"), max_length=32)
    source_hash = models.CharField(_("source content hash"), max_length=64)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=VariantStatus.choices,
        default=VariantStatus.PENDING,
        db_index=True,
    )
    image = models.FileField(
        _("output"),
        storage=variant_storage,
        upload_to=variant_upload_to,
        max_length=255,
        blank=True,
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Widths of the smaller copies stored next to ``image`` for srcset; their names
    # derive from the image's (storage.rendition_name), so no storage call finds them.
    rendition_widths = models.JSONField(default=list, blank=True)
    ssim = models.FloatField(_("content SSIM"), null=True, blank=True)
    psnr = models.FloatField(_("PSNR"), null=True, blank=True)
    strength_used = models.FloatField(_("strength used"), null=True, blank=True)
    # The gates, as the engine compared them (see engine.gates.GateReport).
    colour_mean_de = models.FloatField(_("colour shift, mean (ΔE)"), null=True, blank=True)
    colour_dominant_de = models.FloatField(_("colour shift, dominant (ΔE)"), null=True, blank=True)
    region_ssim = models.FloatField(_("product SSIM"), null=True, blank=True)
    scene_change = models.FloatField(_("scene change"), null=True, blank=True)
    mask_confidence = models.FloatField(_("mask confidence"), null=True, blank=True)
    # An admin's re-run at a chosen strength: that strength only, no retries, until cleared.
    strength_override = models.FloatField(_("chosen strength"), null=True, blank=True)
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, default=Review.NONE, blank=True)
    reviewed_by = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # What the decision was made for: it lapses when the photo or the style version changes.
    review_source_hash = models.CharField(max_length=64, blank=True)
    review_style_version = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("time (ms)"), null=True, blank=True)
    device = models.CharField(_("device"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("restyled image")
        verbose_name_plural = _("restyled images")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "style", "source_hash", "style_version", "engine_version"],
                name="stylerec_variant_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "style", "status"], name="stylerec_variant_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} in {self.style_id} v{self.style_version} ({self.status})"

    @property
    def review_applies(self) -> bool:
        """The admin's decision, if any, was made for this row's photo and style version."""
        return bool(self.review) and (self.review_source_hash, self.review_style_version) == (
            self.source_hash,
            self.style_version,
        )

    @property
    def is_shown(self) -> bool:
        if not self.image:
            return False
        if self.status == VariantStatus.READY:
            return not (self.review == Review.WITHDRAWN and self.review_applies)
        return self.status == VariantStatus.REJECTED and self.review == Review.APPROVED and self.review_applies


class ProductPhoto(models.Model):
    """What the plugin knows about a product's current photo (written by workers)."""

    product = models.OneToOneField(
        product_model_label(),
        on_delete=models.CASCADE,
        related_name="stylerec_photo",
        verbose_name=_("product"),
    )
    source_hash = models.CharField(max_length=64, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # The engine's 100-d style vector of the photo, for the recommender.
    style_vector = models.JSONField(null=True, blank=True)
    engine_version = models.CharField(max_length=32, blank=True)
    # Photo quality check (sharpness, exposure, contrast, size).
    quality_score = models.FloatField(null=True, blank=True)
    quality_reasons = models.JSONField(default=list, blank=True)
    is_weak = models.BooleanField(default=False, db_index=True)
    # Smaller copies of the original photo for its srcset, {"320": "stylerec/original-copies/…"}:
    # written by the worker through the plugin's storage; the original file is never touched.
    original_copies = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    # The product region: a grey PNG (white = product) stored through the variants' storage,
    # never next to or over the original; ``mask_source_hash`` is the photo it was made for.
    mask = models.FileField(_("product mask"), storage=variant_storage, upload_to=mask_upload_to,
                            max_length=255, blank=True)
    mask_confidence = models.FloatField(_("mask confidence"), null=True, blank=True)
    mask_method = models.CharField(_("mask method"), max_length=64, blank=True)
    mask_source_hash = models.CharField(max_length=64, blank=True)
    # The segmentation that computed the mask (engine.segment.SEGMENT_VERSION): a newer one
    # computes it again, so a shop that upgrades does not keep an older, worse mask.
    mask_version = models.CharField(max_length=32, blank=True)
    # An admin's mask or cut-out: it wins over the computed one until the photo changes.
    mask_uploaded = models.BooleanField(_("mask uploaded by an admin"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product photo analysis")
        verbose_name_plural = _("product photo analyses")

    def __str__(self) -> str:
        return f"photo of {self.product_id}"

    @property
    def has_current_mask(self) -> bool:
        """A mask made for this photo: an admin's, or one the current segmentation computed."""
        from ..engine.segment import SEGMENT_VERSION  # numpy/PIL/scipy only: no torch on the web side

        made_for_photo = bool(self.mask) and bool(self.source_hash) and self.mask_source_hash == self.source_hash
        return made_for_photo and (self.mask_uploaded or self.mask_version == SEGMENT_VERSION)

    @property
    def mask_is_trusted(self) -> bool:
        """Whether product-true renders cut along the mask (the engine's ``ProductMask.trusted``
        rule on the stored confidence; an admin's mask has confidence 1); otherwise they render the
        whole frame with the photo's colours kept (``restyling.masks.untrusted_mask_condition``)."""
        from ..engine.segment import LOW_CONFIDENCE

        return self.has_current_mask and (self.mask_confidence or 0.0) >= LOW_CONFIDENCE
