"""The reporting dashboard: renders with and without data, applies its filters, drills down to the
opportunities and outcomes behind an objective, counts private outcomes for members only, draws its
charts with a vendored library beside tables that carry the same figures, and takes a fixed
number of queries."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matchmaking.choices import MatchStatus
from matchmaking.models import Membership
from tests.conftest import make_user
from tests.test_reports import P, add_more_history, at, build_history, match

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


@pytest.fixture
def history(party, institute):
    return build_history(party, institute)


def page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response, response.content.decode()


def charts(response):
    return {chart["id"]: chart for chart in response.context["charts"]}


def series(chart):
    return {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}


def test_renders_without_data(client, db):
    response, html = page(client)
    assert response.context["summary"]["open_offers"] == 0
    assert "Key numbers" in html
    assert "Nothing in this period yet." in html
    assert "None: every open request has drawn interest." in html
    assert charts(response)["chart-quarters"]["labels"] == []
    assert 'id="dashboard-charts"' in html


def test_renders_the_public_figures(client, history):
    response, html = page(client)
    summary = response.context["summary"]
    assert (summary["open_offers"], summary["open_requests"], summary["outcomes"]) == (2, 3, 1)
    objectives = charts(response)["chart-objectives"]
    assert objectives["labels"] == ["1.1", "1.2", "3.1", "GBF-TARGET-20"]  # those with any figure
    assert series(objectives)["Open requests"] == [1, 1, 1, 0]
    quarters = charts(response)["chart-quarters"]
    assert quarters["labels"] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert series(quarters)["Matches made"] == [3, 1, 0, 0]
    regions = charts(response)["chart-regions"]
    assert (regions["labels"], series(regions)["Without any interest"]) == (
        ["AFR", "EEG", "GRULAC"],
        [1, 1, 0],
    )
    for text in ("African States", "Barcoding", "Biosafety", "Technology transfer", "9.4"):
        assert text in html


def test_shows_the_share_of_expired_proposals_and_the_time_to_first_answer(client, history):
    match(history.r5, history.o2, (P, at(10, 2)), (MatchStatus.EXPIRED, at(11, 1)))
    response, html = page(client)
    answers = response.context["answers"]
    assert (answers["proposals"], answers["expired"], answers["share_expired"]) == (5, 1, 0.2)
    assert "<dt>Expired without an answer</dt><dd>20 % (1)</dd>" in html
    assert "<dt>Time to first answer, median days</dt><dd>10.0</dd>" in html
    training = next(row for row in response.context["speed_by_type"] if row["key"] == "training")
    assert (training["proposals"], training["expired"]) == (3, 1)


def test_charts_have_tables_with_the_same_figures(client, history):
    response, html = page(client)
    for chart_id in charts(response):
        assert re.search(rf'<canvas id="{chart_id}" role="img" aria-label="[^"]+table below', html)
    assert html.count("<table>") >= len(charts(response))
    assert '<th scope="row">2025-Q1</th><td class="n">3</td><td class="n">2</td><td class="n">3</td>' in html


def test_chart_library_is_vendored_with_its_licence(client, db):
    library = finders.find("matchmaking/vendor/chartjs/chart.umd.js")
    licence = finders.find("matchmaking/vendor/chartjs/LICENSE.md")
    assert library and licence and finders.find("matchmaking/dashboard.js")
    with open(licence) as f:
        assert "The MIT License" in f.read()
    _, html = page(client)
    assert "/static/matchmaking/vendor/chartjs/chart.umd.js" in html
    assert "/static/matchmaking/dashboard.js" in html
    assert "cdn" not in html.lower()


def test_member_also_sees_their_organizations_private_outcomes(client_as, history):
    member = make_user("kenya_viewer")
    Membership.objects.create(user=member, organization=history.kenya, role="viewer")
    response, html = page(client_as(member))
    assert response.context["summary"]["outcomes"] == 2
    assert response.context["summary"]["indicators"]["people_trained"] == 12
    assert "include the private outcomes of your organizations" in html


def test_filters_apply_to_every_report_and_download_link(client, history):
    response, html = page(client, date_from="2025-04-01", date_to="2025-06-30")
    summary = response.context["summary"]
    assert (summary["requests"], summary["matches"]["total"], summary["outcomes"]) == (1, 1, 1)
    assert [row["key"] for row in response.context["by_quarter"]] == ["2025-Q2"]
    assert "/api/v1/reports/objectives/?date_from=2025-04-01&amp;date_to=2025-06-30&amp;format=csv" in html
    assert "/api/v1/reports/export/postings/?date_from=2025-04-01&amp;date_to=2025-06-30" in html
    response, _ = page(client, framework="GBF")
    assert {row["framework"] for row in response.context["objectives"]} == {"GBF"}
    assert response.context["summary"]["offers"] == 1


def test_invalid_filters_show_their_errors_and_unfiltered_figures(client, history):
    response, html = page(client, date_from="2025-06-30", date_to="2025-04-01")
    assert "The end of the period must not be before its start." in html
    assert response.context["summary"]["requests"] == 5
    response, html = page(client, framework="NOPE", objective="9.9")
    assert "Select a valid choice." in html and "Unknown objective: 9.9." in html
    assert "drilldown" not in response.context


def test_drills_down_to_the_opportunities_and_outcomes_behind_an_objective(client_as, client, history, staff):
    response, html = page(client, objective="1.1")
    drilldown = response.context["drilldown"]
    assert [row["title"] for row in drilldown["open_offers"]] == ["Training"]
    assert [row["title"] for row in drilldown["open_requests"]] == ["Taxonomy grants"]
    assert drilldown["outcomes"] == []  # its outcome is private
    assert "Behind objective 1.1" in html
    assert "/api/v1/reports/export/outcomes/?objective=1.1" in html
    response, html = page(client_as(staff), objective="1.1")
    assert [row["summary"] for row in response.context["drilldown"]["outcomes"]] == [
        "Outcome of Train webmasters"
    ]


def test_takes_a_fixed_number_of_queries(client, history):
    def count():
        with CaptureQueriesContext(connection) as queries:
            page(client, framework="CHM-2010")
        return len(queries)

    before = count()
    assert (
        before <= 23
    )  # 2 per time-to-match table (requests, then their proposals), 1 for the answers, 1 for the needs
    add_more_history(history)
    assert count() == before
