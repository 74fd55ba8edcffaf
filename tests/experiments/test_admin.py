"""The experiment admin: arms inline, start/stop, the report page and its chart."""

from __future__ import annotations

import pytest
from django.urls import reverse

from stylerec_plugin.experiments import record_exposure, treatment_for
from stylerec_plugin.models import Experiment, ExperimentArm
from stylerec_plugin.shoppers import Shopper, record_interaction

from .conftest import make_experiment


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_report_page_renders_rates_and_chart(staff_client, experiment, products):
    for n in range(30):
        shopper = Shopper(f"session:a{n}")
        record_exposure(shopper, treatment_for(shopper), [products[0].pk], "grid")
        if n % 4 == 0:
            record_interaction(shopper, products[0], "click")
    url = reverse("admin:stylerec_plugin_experiment_report", args=[experiment.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Click-through rate" in html and "Add-to-cart rate" in html and "Conversion rate" in html
    assert "95% CI" in html and "Relative lift" in html and "p-value" in html
    assert "too little data to conclude" in html  # 30 shoppers
    # The chart is drawn inline from the page's own report: one polyline per arm and metric.
    start = html.index('<svg class="chart"')
    svg = html[start:html.index("</svg>", start)]
    arms = experiment.arms.count()
    assert svg.count("<polyline") == 3 * arms and svg.count("<polygon") == 3 * arms
    assert "Click-through rate" in svg and 'role="img"' in svg
    chart_url = reverse("admin:stylerec_plugin_experiment_report_chart", args=[experiment.pk])
    assert f'href="{chart_url}"' in html  # the PNG stays available to download
    chart = staff_client.get(chart_url)
    assert chart.status_code == 200
    assert chart["Content-Type"] == "image/png"
    assert chart.content[:4] == b"\x89PNG"


def test_report_page_of_an_empty_experiment(staff_client, experiment):
    response = staff_client.get(reverse("admin:stylerec_plugin_experiment_report", args=[experiment.pk]))
    assert response.status_code == 200
    assert "No shopper has been exposed yet" in response.content.decode()
    chart_url = reverse("admin:stylerec_plugin_experiment_report_chart", args=[experiment.pk])
    assert staff_client.get(chart_url).status_code == 200


def test_report_needs_staff(client, experiment):
    response = client.get(reverse("admin:stylerec_plugin_experiment_report", args=[experiment.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_changelist_and_change_form(staff_client, experiment):
    response = staff_client.get(reverse("admin:stylerec_plugin_experiment_changelist"))
    assert response.status_code == 200
    assert "View report" in response.content.decode()
    response = staff_client.get(reverse("admin:stylerec_plugin_experiment_change", args=[experiment.pk]))
    assert response.status_code == 200
    assert 'name="arms-0-weight"' in response.content.decode()


def _form_data(**overrides) -> dict:
    data = {
        "name": "Ranking test",
        "slug": "ranking-test",
        "description": "",
        "subject": "ranking",
        "primary_metric": "cart",
        "status": "running",
        "start_at_0": "",
        "start_at_1": "",
        "stop_at_0": "",
        "stop_at_1": "",
        "arms-TOTAL_FORMS": "2",
        "arms-INITIAL_FORMS": "0",
        "arms-MIN_NUM_FORMS": "2",
        "arms-MAX_NUM_FORMS": "1000",
        "arms-0-name": "popular",
        "arms-0-is_control": "on",
        "arms-0-weight": "50",
        "arms-0-restyle": "on",
        "arms-1-name": "personalised",
        "arms-1-weight": "50",
        "arms-1-restyle": "on",
        "arms-1-personalise": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_add_a_running_experiment_with_arms(staff_client, db):
    response = staff_client.post(reverse("admin:stylerec_plugin_experiment_add"), _form_data())
    assert response.status_code == 302, response.context["errors"] if response.context else response
    experiment = Experiment.objects.get(slug="ranking-test")
    assert experiment.start_at is not None
    assert {(a.name, a.is_control, a.personalise) for a in experiment.arms.all()} == {
        ("popular", True, False),
        ("personalised", False, True),
    }
    assert treatment_for(Shopper("session:z")).experiment_id == experiment.id


def test_running_experiment_needs_exactly_one_control(staff_client, db):
    response = staff_client.post(
        reverse("admin:stylerec_plugin_experiment_add"), _form_data(**{"arms-0-is_control": None})
    )
    assert response.status_code == 200
    assert "exactly one arm as the control" in response.content.decode()
    assert not Experiment.objects.exists()


def test_two_overlapping_running_experiments_are_refused(staff_client, experiment):
    response = staff_client.post(reverse("admin:stylerec_plugin_experiment_add"), _form_data())
    assert response.status_code == 200
    assert "Only one experiment can run at a time" in response.content.decode()


def test_start_and_stop_actions(staff_client, db):
    draft = make_experiment("Draft one", status="draft")
    draft.start_at = None
    draft.save()
    lonely = Experiment.objects.create(name="One arm", slug="one-arm")
    ExperimentArm.objects.create(experiment=lonely, name="only", is_control=True)
    changelist = reverse("admin:stylerec_plugin_experiment_changelist")
    response = staff_client.post(
        changelist, {"action": "start_experiments", "_selected_action": [draft.pk, lonely.pk]}, follow=True
    )
    assert "at least two arms" in response.content.decode()
    draft.refresh_from_db()
    lonely.refresh_from_db()
    assert draft.status == "running" and draft.start_at is not None
    assert lonely.status == "draft"
    staff_client.post(changelist, {"action": "stop_experiments", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "stopped" and draft.stop_at is not None


def test_slug_is_locked_once_started(staff_client, experiment):
    response = staff_client.get(reverse("admin:stylerec_plugin_experiment_change", args=[experiment.pk]))
    assert 'name="slug"' not in response.content.decode()


@pytest.mark.parametrize("successes,trials", [(0, 1), (1, 1), (3, 7), (50, 1000), (999, 1000), (0, 0), (12, 30)])
def test_chart_bands_are_the_reports_wilson_intervals(successes, trials):
    from stylerec_plugin.admin.report_chart import wilson_band
    from stylerec_plugin.experiments.stats import wilson_interval

    assert wilson_band(successes, trials) == pytest.approx(wilson_interval(successes, trials), abs=1e-9)
