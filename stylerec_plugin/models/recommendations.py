from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .shoppers import SHOPPER_KEY_LENGTH


class ModelStatus(models.TextChoices):
    TRAINING = "training", _("Training")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class RecommenderModel(models.Model):
    """One trained recommender: its settings, blend weights, metrics and lists.

    Serving reads the single active model; training writes a new one and swaps
    the active flag in one transaction.
    """

    status = models.CharField(max_length=16, choices=ModelStatus.choices, default=ModelStatus.TRAINING)
    is_active = models.BooleanField(default=False)
    algorithm = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    blend_weights = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # What the cost-aware training chose and why (recommender.choice.TrainingChoice.as_dict):
    # each part's status, weight, validation NDCG, fit time, memory estimate and skip reason.
    training_choice = models.JSONField(default=dict, blank=True)
    n_shoppers = models.PositiveIntegerField(default=0)
    n_products = models.PositiveIntegerField(default=0)
    n_interactions = models.PositiveIntegerField(default=0)
    fit_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recommender model")
        verbose_name_plural = _("recommender models")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="stylerec_one_active_model"
            ),
        ]

    def __str__(self) -> str:
        return f"model {self.pk} ({self.algorithm}, {self.status})"


class RecommendationList(models.Model):
    """A precomputed top-N list for one shopper (empty key: the popular list)."""

    model = models.ForeignKey(RecommenderModel, on_delete=models.CASCADE, related_name="lists")
    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH, blank=True)
    # [[product_pk, score, reason_code, reason_argument], ...], best first.
    items = models.JSONField(default=list)

    class Meta:
        verbose_name = _("recommendation list")
        verbose_name_plural = _("recommendation lists")
        constraints = [
            models.UniqueConstraint(fields=["model", "shopper_key"], name="stylerec_one_list"),
        ]

    def __str__(self) -> str:
        return f"list for {self.shopper_key or 'everyone'} (model {self.model_id})"
