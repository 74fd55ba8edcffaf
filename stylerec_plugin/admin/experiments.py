"""Admin for A/B experiments: arms inline, start/stop actions, and the report page with its chart."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..experiments.render import render_chart
from ..experiments.report import METRIC_LABELS, METRICS, build_report
from ..experiments.stats import MIN_EVENTS
from ..models.experiments import (
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentExposure,
    ExperimentOutcome,
    ExperimentStatus,
)
from .report_chart import chart_svg


class ArmFormSet(BaseInlineFormSet):
    """A running experiment needs two or more arms, exactly one control, and some traffic."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if self.instance.status != ExperimentStatus.RUNNING:
            if sum(1 for form in kept if form.cleaned_data.get("is_control")) > 1:
                raise ValidationError(_("Only one arm can be the control."))
            return
        if len(kept) < 2:
            raise ValidationError(_("A running experiment needs at least two arms."))
        if sum(1 for form in kept if form.cleaned_data.get("is_control")) != 1:
            raise ValidationError(_("Mark exactly one arm as the control: lifts are measured against it."))
        if sum(form.cleaned_data.get("weight") or 0 for form in kept) <= 0:
            raise ValidationError(_("At least one arm needs a traffic weight above zero."))


class ExperimentArmInline(admin.TabularInline):
    model = ExperimentArm
    formset = ArmFormSet
    extra = 0
    min_num = 2
    fields = ["name", "is_control", "weight", "restyle", "personalise", "share"]
    readonly_fields = ["share"]

    @admin.display(description=_("share of new shoppers"))
    def share(self, arm: ExperimentArm) -> str:
        if arm.pk is None:
            return "—"
        total = sum(other.weight for other in arm.experiment.arms.all())
        return f"{arm.weight / total:.0%}" if total else "—"


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "subject", "primary_metric", "start_at", "stop_at", "enrolled", "report_link"]
    list_filter = ["status", "subject"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ExperimentArmInline]
    actions = ["start_experiments", "stop_experiments"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "subject", "primary_metric"]}),
        (_("Schedule"), {"fields": ["status", "start_at", "stop_at", "report_link"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enrolled_count=Count("assignments", distinct=True))

    def get_readonly_fields(self, request, obj=None):
        readonly = ["report_link"]
        if obj is not None and obj.status != ExperimentStatus.DRAFT:
            readonly.append("slug")  # part of the assignment hash
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.status != ExperimentStatus.DRAFT else self.prepopulated_fields

    @admin.display(description=_("enrolled shoppers"), ordering="enrolled_count")
    def enrolled(self, experiment: Experiment) -> int:
        count = getattr(experiment, "enrolled_count", None)
        return experiment.assignments.count() if count is None else count

    @admin.display(description=_("report"))
    def report_link(self, experiment: Experiment) -> str:
        if experiment.pk is None:
            return "—"
        url = reverse("admin:stylerec_plugin_experiment_report", args=[experiment.pk])
        return format_html('<a href="{}">{}</a>', url, _("View report"))

    # Actions ----------------------------------------------------------------------------------

    @admin.action(description=_("Start the selected experiments"), permissions=["change"])
    def start_experiments(self, request: HttpRequest, queryset) -> None:
        started = 0
        for experiment in queryset:
            if experiment.status == ExperimentStatus.RUNNING:
                continue
            problems = experiment.arm_problems()
            if experiment.status == ExperimentStatus.STOPPED:
                problems.append(str(_("It was stopped: copy it into a new experiment instead of restarting.")))
            experiment.status = ExperimentStatus.RUNNING
            if experiment.start_at is None or experiment.start_at > timezone.now():
                experiment.start_at = timezone.now()
            try:
                experiment.clean()
            except ValidationError as error:
                problems += error.messages
            if problems:
                self.message_user(request, f"{experiment}: {' '.join(problems)}", messages.ERROR)
                continue
            experiment.save()
            started += 1
        if started:
            self.message_user(
                request, ngettext("%d experiment started.", "%d experiments started.", started) % started
            )

    @admin.action(description=_("Stop the selected experiments"), permissions=["change"])
    def stop_experiments(self, request: HttpRequest, queryset) -> None:
        stopped = 0
        for experiment in queryset.filter(status=ExperimentStatus.RUNNING):
            experiment.status = ExperimentStatus.STOPPED
            experiment.save()
            stopped += 1
        self.message_user(request, ngettext("%d experiment stopped.", "%d experiments stopped.", stopped) % stopped)

    # Report pages -----------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/report/", view(self.report_view), name="stylerec_plugin_experiment_report"),
            path(
                "<int:object_id>/report/chart.png",
                view(self.report_chart_view),
                name="stylerec_plugin_experiment_report_chart",
            ),
        ] + super().get_urls()

    def _experiment_for(self, request: HttpRequest, object_id: int) -> Experiment:
        experiment = get_object_or_404(Experiment, pk=object_id)
        if not self.has_view_permission(request, experiment):
            raise PermissionDenied
        return experiment

    def report_view(self, request: HttpRequest, object_id: int) -> TemplateResponse:
        experiment = self._experiment_for(request, object_id)
        report = build_report(experiment)
        metric_rows = []
        for metric in METRICS:
            rows = [_metric_row(arm, metric) for arm in report.arms]
            metric_rows.append(
                {
                    "key": metric,
                    "label": METRIC_LABELS[metric],
                    "primary": metric == report.primary_metric,
                    "rows": rows,
                    "sample_size": report.sample_size_per_arm.get(metric),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Report: %(name)s") % {"name": experiment.name},
            "opts": self.model._meta,
            "original": experiment,
            "experiment": experiment,
            "report": report,
            "metric_rows": metric_rows,
            "chart_url": reverse("admin:stylerec_plugin_experiment_report_chart", args=[experiment.pk]),
            # Inline SVG from this report: no second report and no matplotlib render per page view.
            "chart_svg": chart_svg(report),
            "has_chart": _matplotlib_available(),
            "min_events": MIN_EVENTS,
            "mde_percent": round(report.mde * 100),
        }
        return TemplateResponse(request, "admin/stylerec_plugin/experiment/report.html", context)

    def report_chart_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        experiment = self._experiment_for(request, object_id)
        if not _matplotlib_available():
            raise Http404("matplotlib is not installed")
        response = HttpResponse(render_chart(build_report(experiment)), content_type="image/png")
        response["Cache-Control"] = "private, max-age=60"
        return response


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2%}" if signed else f"{value:.2%}"


def _metric_row(arm, metric: str) -> dict:
    """Display strings for one arm and metric (templates cannot format percentages)."""
    rate = arm.rates[metric]
    comparison = arm.comparisons.get(metric)
    row = {
        "arm": arm,
        "successes": rate.successes,
        "trials": rate.trials,
        "rate": _percent(rate.value),
        "ci": "—" if rate.value is None else f"{_percent(rate.ci_low)} – {_percent(rate.ci_high)}",
        "comparison": comparison,
    }
    if comparison is not None:
        row["difference"] = _percent(comparison.difference, signed=True)
        row["difference_ci"] = (
            "—"
            if comparison.difference_ci_low is None
            else f"{_percent(comparison.difference_ci_low, True)} – {_percent(comparison.difference_ci_high, True)}"
        )
        row["lift"] = "n/a" if comparison.relative_lift is None else f"{comparison.relative_lift:+.1%}"
        row["p_value"] = "n/a" if comparison.p_value is None else f"{comparison.p_value:.4f}"
        row["verdict"] = comparison.verdict
    return row


def _matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@admin.register(ExperimentArm)
class ExperimentArmAdmin(admin.ModelAdmin):
    """Arms are edited inline on their experiment; this page only lists them across experiments."""

    list_display = ["name", "experiment", "is_control", "weight", "restyle", "personalise"]
    list_filter = ["experiment", "is_control"]
    search_fields = ["name", "experiment__name"]
    list_select_related = ["experiment"]

    def get_model_perms(self, request) -> dict:
        return {}  # not in the admin index: edit arms on their experiment


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Experiment data is written by the shop, never by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExperimentAssignment)
class ExperimentAssignmentAdmin(_ReadOnlyAdmin):
    list_display = ["shopper_key", "experiment", "arm", "bucket", "assigned_at"]
    list_filter = ["experiment", "arm"]
    search_fields = ["shopper_key"]
    list_select_related = ["experiment", "arm"]


@admin.register(ExperimentExposure)
class ExperimentExposureAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "shopper_key", "experiment", "arm", "surface", "product_count", "restyle"]
    list_filter = ["experiment", "arm", "surface"]
    search_fields = ["shopper_key"]
    list_select_related = ["experiment", "arm"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(ExperimentOutcome)
class ExperimentOutcomeAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "shopper_key", "experiment", "arm", "kind", "product", "product_was_shown"]
    list_filter = ["experiment", "arm", "kind", "product_was_shown"]
    search_fields = ["shopper_key"]
    list_select_related = ["experiment", "arm", "product"]
    raw_id_fields = ["product", "interaction"]
    date_hierarchy = "created_at"
    show_full_result_count = False
