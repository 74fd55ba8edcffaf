from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import product_model_label

# A shopper is identified by a key: "user:<pk>" for a signed-in user,
# "session:<session key>" for an anonymous one (see stylerec_plugin.shoppers.identity).
SHOPPER_KEY_LENGTH = 80


class ShopperProfile(models.Model):
    """A shopper's personalisation consent; no row means the default (personalised)."""

    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH, unique=True)
    user = models.OneToOneField(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stylerec_profile",
    )
    personalisation_enabled = models.BooleanField(_("personalisation on"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shopper profile")
        verbose_name_plural = _("shopper profiles")

    def __str__(self) -> str:
        return self.shopper_key


class PreferenceSource(models.TextChoices):
    EXPLICIT = "explicit", _("Chosen by the shopper")
    LEARNED = "learned", _("Learned from behaviour")


class StylePreference(models.Model):
    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH, db_index=True)
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stylerec_preferences",
    )
    style = models.ForeignKey(
        "stylerec_plugin.Style", on_delete=models.CASCADE, related_name="preferences"
    )
    weight = models.FloatField(_("weight"), default=1.0)
    source = models.CharField(
        _("source"), max_length=16, choices=PreferenceSource.choices, default=PreferenceSource.EXPLICIT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("style preference")
        verbose_name_plural = _("style preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["shopper_key", "style", "source"], name="stylerec_one_preference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shopper_key} likes {self.style_id} ({self.source}, {self.weight:.2f})"


class InteractionKind(models.TextChoices):
    VIEW = "view", _("View")
    CLICK = "click", _("Click")
    CART = "cart", _("Add to cart")
    PURCHASE = "purchase", _("Purchase")
    RATING = "rating", _("Rating")


class Interaction(models.Model):
    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH, db_index=True)
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stylerec_interactions",
    )
    product = models.ForeignKey(
        product_model_label(), on_delete=models.CASCADE, related_name="stylerec_interactions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InteractionKind.choices)
    value = models.FloatField(_("rating value"), null=True, blank=True)
    style = models.ForeignKey(
        "stylerec_plugin.Style",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        help_text=_("The style the product was shown in."),
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["shopper_key", "-created_at"], name="stylerec_shopper_recent")]

    def __str__(self) -> str:
        return f"{self.shopper_key} {self.kind} {self.product_id}"
