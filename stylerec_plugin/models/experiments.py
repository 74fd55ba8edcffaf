"""A/B experiments: arms, sticky shopper assignment, exposures and outcomes.

The serving side (who gets which arm, recording what was shown) lives in
``stylerec_plugin.experiments.assignment``; the statistics in ``stylerec_plugin.experiments.stats``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import product_model_label
from .shoppers import SHOPPER_KEY_LENGTH


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")


class ExperimentSubject(models.TextChoices):
    PHOTOS = "photos", _("Product photos (restyled vs original)")
    RANKING = "ranking", _("Ranking (personalised vs popular)")
    BOTH = "both", _("Photos and ranking together")


class OutcomeKind(models.TextChoices):
    CLICK = "click", _("Click-through")
    CART = "cart", _("Add to cart")
    PURCHASE = "purchase", _("Purchase")


class Experiment(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_("Part of the assignment hash: changing it after the start would re-shuffle new shoppers."),
    )
    description = models.TextField(_("description"), blank=True, help_text=_("The hypothesis, in a sentence."))
    subject = models.CharField(
        _("what it tests"), max_length=16, choices=ExperimentSubject.choices, default=ExperimentSubject.PHOTOS
    )
    primary_metric = models.CharField(
        _("primary metric"),
        max_length=16,
        choices=OutcomeKind.choices,
        default=OutcomeKind.CLICK,
        help_text=_("The rate the decision rests on; the others are reported too."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT, db_index=True
    )
    start_at = models.DateTimeField(
        _("starts at"), null=True, blank=True, help_text=_("Empty: when the status is set to running.")
    )
    stop_at = models.DateTimeField(_("stops at"), null=True, blank=True, help_text=_("Empty: runs until stopped."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Starting without a date means "now"; stopping closes the window so late events are not attributed.
        now = timezone.now()
        if self.status == ExperimentStatus.RUNNING and self.start_at is None:
            self.start_at = now
        if self.status == ExperimentStatus.STOPPED and (self.stop_at is None or self.stop_at > now):
            self.stop_at = now
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.start_at and self.stop_at and self.stop_at <= self.start_at:
            raise ValidationError({"stop_at": _("The stop must come after the start.")})
        if self.status == ExperimentStatus.RUNNING:
            overlapping = self.overlapping_running()
            if overlapping:
                raise ValidationError(
                    {
                        "status": _(
                            "Only one experiment can run at a time, and “%(other)s” is running in the same period."
                        )
                        % {"other": overlapping[0].name}
                    }
                )

    def overlapping_running(self) -> list[Experiment]:
        """Other running experiments whose window overlaps this one (a shopper gets one treatment)."""
        start = self.start_at or timezone.now()
        others = Experiment.objects.filter(status=ExperimentStatus.RUNNING).exclude(pk=self.pk)
        others = others.filter(models.Q(stop_at__isnull=True) | models.Q(stop_at__gt=start))
        if self.stop_at is not None:
            others = others.filter(models.Q(start_at__isnull=True) | models.Q(start_at__lt=self.stop_at))
        return list(others)

    def is_live(self, when: datetime | None = None) -> bool:
        """Running and inside its start/stop window at ``when`` (default now)."""
        when = when or timezone.now()
        if self.status != ExperimentStatus.RUNNING:
            return False
        if self.start_at is not None and when < self.start_at:
            return False
        return self.stop_at is None or when < self.stop_at

    def arm_problems(self) -> list[str]:
        """Why the arms are not ready to run (empty when they are)."""
        arms = list(self.arms.all())
        problems = []
        if len(arms) < 2:
            problems.append(str(_("An experiment needs at least two arms.")))
        if sum(1 for arm in arms if arm.is_control) != 1:
            problems.append(str(_("Exactly one arm must be the control (the baseline for lift).")))
        if arms and sum(arm.weight for arm in arms) <= 0:
            problems.append(str(_("At least one arm needs a traffic weight above zero.")))
        return problems


class ExperimentArm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.SlugField(
        _("name"), max_length=60, help_text=_("Short and stable, e.g. “original” or “restyled”; stored with events.")
    )
    is_control = models.BooleanField(
        _("control"), default=False, help_text=_("The baseline the others are compared to.")
    )
    weight = models.PositiveIntegerField(
        _("traffic weight"),
        default=50,
        help_text=_("Relative share of new shoppers; changing it never moves shoppers already assigned."),
    )
    restyle = models.BooleanField(_("restyled photos"), default=True, help_text=_("Off: original product photos."))
    personalise = models.BooleanField(_("personalised ranking"), default=True, help_text=_("Off: popular ranking."))

    class Meta:
        verbose_name = _("experiment arm")
        verbose_name_plural = _("experiment arms")
        ordering = ["experiment", "-is_control", "pk"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="stylerec_arm_name_unique")]

    def __str__(self) -> str:
        return f"{self.experiment} / {self.name}"


class ExperimentAssignment(models.Model):
    """A shopper's arm, stored the first time it is decided so later weight changes never move them."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    arm = models.ForeignKey(ExperimentArm, on_delete=models.PROTECT, related_name="assignments")
    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH, db_index=True)
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stylerec_experiment_assignments",
    )
    bucket = models.PositiveIntegerField(_("hash bucket"), help_text=_("0–9999, from the experiment and shopper key."))
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("experiment assignment")
        verbose_name_plural = _("experiment assignments")
        constraints = [
            models.UniqueConstraint(fields=["experiment", "shopper_key"], name="stylerec_one_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.shopper_key} → {self.arm.name}"


class ExperimentExposure(models.Model):
    """One render of products to an enrolled shopper: what was shown, in which arm, where."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    arm = models.ForeignKey(ExperimentArm, on_delete=models.PROTECT, related_name="exposures")
    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH)
    surface = models.CharField(_("surface"), max_length=40, help_text=_("Where it was shown, e.g. “grid” or “api”."))
    product_ids = models.JSONField(_("products shown"), default=list)
    product_count = models.PositiveIntegerField(default=0)
    # What was actually shown, kept even if the arm is edited later.
    restyle = models.BooleanField(default=True)
    personalise = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("experiment exposure")
        verbose_name_plural = _("experiment exposures")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["experiment", "shopper_key", "created_at"], name="stylerec_exposure_shopper"),
        ]

    def __str__(self) -> str:
        return f"{self.shopper_key} saw {self.product_count} on {self.surface} ({self.arm.name})"


class ExperimentOutcome(models.Model):
    """A click, add-to-cart or purchase by an exposed shopper, credited to their arm."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="outcomes")
    arm = models.ForeignKey(ExperimentArm, on_delete=models.PROTECT, related_name="outcomes")
    shopper_key = models.CharField(max_length=SHOPPER_KEY_LENGTH)
    kind = models.CharField(_("kind"), max_length=16, choices=OutcomeKind.choices)
    product = models.ForeignKey(
        product_model_label(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_was_shown = models.BooleanField(
        _("product was shown"), default=False, help_text=_("The product was in one of the shopper's exposures.")
    )
    interaction = models.ForeignKey(
        "stylerec_plugin.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experiment_outcomes",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("experiment outcome")
        verbose_name_plural = _("experiment outcomes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["experiment", "kind", "arm"], name="stylerec_outcome_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "interaction"],
                condition=models.Q(interaction__isnull=False),
                name="stylerec_one_outcome_per_interaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shopper_key} {self.kind} ({self.arm.name})"
