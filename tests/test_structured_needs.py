"""Structured needs: budget range and currency, co-financing, beneficiaries, level, expected outputs,
costs covered and duration. Their validation in the API and the form, their filters, and their part
in the ranking: counted where both sides gave them, never where either side left them empty."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from matchmaking.labels import currencies
from matchmaking.models import Opportunity, Organization
from matchmaking.recommendations.recommend import recommend
from matchmaking.reports import needs
from matchmaking.reports.base import ReportFilters
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"

NEEDS = {
    "budget_min": 5_000,
    "budget_max": 20_000,
    "budget_currency": "EUR",
    "cofinancing": True,
    "cofinancing_amount": 2_000,
    "beneficiaries": "Staff of the national CHM",
    "beneficiaries_count": 12,
    "level": "national",
    "expected_outputs": ["people_trained", "websites_launched"],
    "covers": ["travel", "equipment"],
    "duration_months": 6,
}


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Ranking may embed; the real model is never loaded here."""


def request_data(org, **changes):
    data = {
        "direction": "request",
        "title": "Training of two webmasters",
        "description": "Our national CHM needs two webmasters trained in running the website.",
        "cooperation_type": "training",
        "organization": org.pk,
        **NEEDS,
    }
    data.update(changes)
    return data


# --------------------------------------------------------------------------- the API


def test_a_request_is_posted_with_every_structured_need(client_for, party, party_editor):
    response = client_for("party_editor").post(URL, request_data(party), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {name: body[name] for name in NEEDS} == NEEDS
    opportunity = Opportunity.objects.get(pk=body["id"])
    assert (opportunity.budget_min, opportunity.budget_max, opportunity.budget_currency) == (
        5_000,
        20_000,
        "EUR",
    )
    assert opportunity.expected_outputs == ["people_trained", "websites_launched"]


def test_needs_are_optional_and_empty_by_default(client_for, party, party_editor):
    data = {"direction": "request", "title": "A need", "description": "Described.", "organization": party.pk}
    body = client_for("party_editor").post(URL, data, format="json").json()
    assert body["budget_min"] is body["budget_max"] is body["cofinancing"] is body["duration_months"] is None
    assert (body["budget_currency"], body["level"], body["beneficiaries"]) == ("", "", "")
    assert body["expected_outputs"] == body["covers"] == []


def test_an_amount_of_cofinancing_says_there_is_some(client_for, party, party_editor):
    data = request_data(party, cofinancing=None)
    body = client_for("party_editor").post(URL, data, format="json").json()
    assert body["cofinancing"] is True and body["cofinancing_amount"] == 2_000


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"budget_min": 30_000}, "budget_max"),  # above the largest
        ({"budget_min": 0}, "budget_min"),
        ({"budget_max": -5}, "budget_max"),
        ({"budget_max": 10**13}, "budget_max"),
        ({"budget_currency": "XYZ"}, "budget_currency"),
        ({"budget_currency": "DEM"}, "budget_currency"),  # withdrawn in 2002
        ({"budget_currency": ""}, "budget_currency"),  # amounts without their currency
        ({"budget_min": None, "budget_max": None, "cofinancing_amount": None}, "budget_currency"),
        ({"cofinancing": False}, "cofinancing_amount"),
        ({"cofinancing_amount": 0}, "cofinancing_amount"),
        ({"beneficiaries_count": 0}, "beneficiaries_count"),
        ({"duration_months": 0}, "duration_months"),
        ({"duration_months": 241}, "duration_months"),
        ({"level": "local"}, "level"),
        ({"expected_outputs": ["people_trained", "smiles"]}, "expected_outputs"),
        ({"expected_outputs": ["other"]}, "expected_outputs"),  # needs a label on an outcome: not here
        ({"expected_outputs": "people_trained"}, "expected_outputs"),
        ({"covers": ["champagne"]}, "covers"),
    ],
)
def test_rejects_bad_needs_with_a_message_on_the_field(client_for, party, party_editor, changes, field):
    before = Opportunity.objects.count()
    response = client_for("party_editor").post(URL, request_data(party, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Opportunity.objects.count() == before


def test_an_offer_gives_no_cofinancing_nor_beneficiaries(client_for, institute, institute_editor):
    data = request_data(institute, direction="offer", title="Training offer")
    response = client_for("institute_editor").post(URL, data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {
        "cofinancing",
        "cofinancing_amount",
        "beneficiaries",
        "beneficiaries_count",
    }
    for name in ("cofinancing", "cofinancing_amount", "beneficiaries", "beneficiaries_count"):
        data.pop(name)
    response = client_for("institute_editor").post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["budget_min"] == 5_000  # per partner, on an offer


def test_a_partial_update_is_checked_against_the_stored_needs(client_for, party, party_editor):
    client = client_for("party_editor")
    posted = client.post(URL, request_data(party), format="json").json()
    response = client.patch(f"{URL}{posted['id']}/", {"budget_max": 1_000}, format="json")
    assert response.status_code == 400 and "budget_max" in response.json()
    assert Opportunity.objects.get(pk=posted["id"]).budget_max == 20_000
    response = client.patch(f"{URL}{posted['id']}/", {"level": "regional", "covers": []}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["level"], response.json()["covers"]) == ("regional", [])


def test_the_currencies_are_those_in_use_from_cldr():
    codes = currencies()
    assert {"EUR", "USD", "XOF", "XAF", "CNY", "BRL", "INR"} <= set(codes)
    assert not {"DEM", "FRF", "ESP", "XEU"} & set(codes)  # withdrawn
    assert all(len(code) == 3 and code.isupper() for code in codes)


# --------------------------------------------------------------------------- the filters


@pytest.fixture
def budgets(party, institute):
    """Requests and offers with and without structured needs."""
    return {
        "small": make_opportunity(party, "request", "Small", budget_max=4_000, budget_currency="EUR"),
        "large": make_opportunity(
            party, "request", "Large", budget_min=50_000, budget_max=90_000, budget_currency="EUR", level="regional"
        ),
        "dollars": make_opportunity(party, "request", "Dollars", budget_min=5_000, budget_currency="USD"),
        "cofinanced": make_opportunity(
            party, "request", "Co-financed", cofinancing=True, level="national", budget_currency="EUR",
            cofinancing_amount=1_000,
        ),
        "without": make_opportunity(party, "request", "No co-financing", cofinancing=False),
        "offer": make_opportunity(
            institute, "offer", "Grant", budget_min=10_000, budget_max=60_000, budget_currency="EUR",
            level="national",
        ),
        "plain": make_opportunity(institute, "offer", "Plain"),
    }  # fmt: skip


def found(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return {row["title"] for row in response.json()["results"]}


def test_filter_by_level(client_for, budgets):
    assert found(client_for("anonymous"), level="national") == {"Co-financed", "Grant"}
    assert found(client_for("anonymous"), level="regional") == {"Large"}


def test_filter_by_cofinancing(client_for, budgets):
    assert found(client_for("anonymous"), cofinancing="true") == {"Co-financed"}
    assert found(client_for("anonymous"), cofinancing="false") == {"No co-financing"}


def test_filter_by_budget_overlap(client_for, budgets):
    anonymous = client_for("anonymous")
    assert found(anonymous, budget_currency="EUR", budget_from=3_000, budget_to=12_000) == {"Small", "Grant"}
    assert found(anonymous, budget_currency="EUR", budget_from=55_000) == {"Large", "Grant"}
    assert found(anonymous, budget_currency="EUR", budget_to=4_000) == {"Small"}
    assert found(anonymous, budget_currency="EUR") == {"Small", "Large", "Grant"}  # a budget in euros
    assert found(anonymous, budget_currency="USD", budget_from=1_000_000) == {"Dollars"}  # no upper bound


@pytest.mark.parametrize(
    "params, field",
    [
        ({"budget_from": 1_000}, "budget_currency"),
        ({"budget_currency": "EUR", "budget_from": 5_000, "budget_to": 1_000}, "budget_to"),
        ({"budget_currency": "XYZ"}, "budget_currency"),
        ({"budget_currency": "EUR", "budget_from": -1}, "budget_from"),
        ({"level": "local"}, "level"),
    ],
)
def test_bad_budget_filters_are_refused_with_a_message_on_the_field(client_for, params, field):
    response = client_for("anonymous").get(URL, params)
    assert response.status_code == 400
    assert field in response.json(), response.json()


# --------------------------------------------------------------------------- the ranking


def scores(recommendations):
    return {result["opportunity"].title: result["score"] for result in recommendations}


def test_two_requests_identical_but_for_their_needs_are_ranked_by_their_fit_with_an_offer(party, institute):
    """Same text, type and themes: only the structured needs tell the two requests apart."""
    offer = make_opportunity(
        institute, "offer", "Training of webmasters", cooperation_type_id="training",
        budget_min=5_000, budget_max=15_000, budget_currency="EUR", level="national", duration_months=6,
        expected_outputs=["people_trained"], covers=["travel", "staff_time"],
    )  # fmt: skip
    text = {
        "description": "Two webmasters of our national CHM need training.",
        "cooperation_type_id": "training",
    }
    fitting = make_opportunity(
        party, "request", "Webmasters to train", budget_min=8_000, budget_max=12_000, budget_currency="EUR",
        level="national", duration_months=6, expected_outputs=["people_trained"], covers=["travel"], **text,
    )  # fmt: skip
    other_party = Organization.objects.create(name="CHM focal point of Mali", kind="party", country_id="ML")
    unfitting = make_opportunity(
        other_party, "request", "Webmasters to train", budget_min=80_000, budget_currency="EUR",
        level="global", duration_months=36, expected_outputs=["records_digitised"], covers=["hosting"], **text,
    )  # fmt: skip
    results = recommend(offer)
    assert [result["opportunity"].pk for result in results] == [fitting.pk, unfitting.pk]
    best, worst = results
    assert best["score"] > worst["score"]
    assert best["reasons"]["features"]["structured"] == 1.0
    # budgets, level, outputs and costs apart; 6 months against 36: the shorter over the longer
    assert worst["reasons"]["features"]["structured"] == pytest.approx((6 / 36) / 5, abs=1e-4)
    assert best["reasons"]["structured"]["budget"]["overlap"] is True
    assert worst["reasons"]["structured"]["level"] == {
        "same": False,
        "request": "global",
        "offer": "national",
    }
    assert "Their budgets overlap (EUR)" in best["reasons"]["summary"]
    assert "Their budgets do not overlap (EUR)" in worst["reasons"]["summary"]
    assert "Different levels: Global for the request, National for the offer" in worst["reasons"]["summary"]
    # the same two requests, seen from each: the offer fits the first better
    assert recommend(fitting)[0]["score"] > recommend(unfitting)[0]["score"]


def test_needs_left_empty_on_either_side_change_nothing(party, institute):
    """An offer with needs and one without, otherwise the same, score the same for a request without
    needs; and a request's needs change nothing against offers without them."""
    same = {"description": "Hosting of national CHM websites.", "cooperation_type_id": "hosting"}
    with_needs = make_opportunity(
        institute, "offer", "Hosting", budget_min=1_000, budget_currency="EUR", level="national",
        duration_months=12, expected_outputs=["websites_hosted"], covers=["hosting"], **same,
    )  # fmt: skip
    elsewhere = Organization.objects.create(name="Museum", kind="institute", country_id="NL", verified=True)
    without_needs = make_opportunity(elsewhere, "offer", "Hosting", **same)
    plain_request = make_opportunity(party, "request", "Our site needs a host", **same)
    results = recommend(plain_request)
    assert {result["opportunity"].pk for result in results} == {with_needs.pk, without_needs.pk}
    assert results[0]["score"] == results[1]["score"]
    assert all(result["reasons"]["features"]["structured"] is None for result in results)
    assert all(result["reasons"]["structured"] == {} for result in results)

    before = {r["opportunity"].pk: r["score"] for r in recommend(plain_request)}
    Opportunity.objects.filter(pk=plain_request.pk).update(
        level="regional", budget_min=1, budget_currency="USD"
    )
    after = {r["opportunity"].pk: r["score"] for r in recommend(Opportunity.objects.get(pk=plain_request.pk))}
    assert after[without_needs.pk] == before[without_needs.pk]  # nothing to compare with: unchanged
    assert after[with_needs.pk] < before[with_needs.pk]  # another level (the budgets' currencies differ)


def test_matches_follow_a_change_of_needs_through_the_api(client_for, party, party_editor, institute):
    offer = make_opportunity(institute, "offer", "Regional training", level="regional")
    client = client_for("party_editor")
    posted = client.post(URL, request_data(party, level="national"), format="json").json()
    reasons = client.get(f"{URL}{posted['id']}/matches/").json()["results"][0]["reasons"]
    assert reasons["structured"]["level"]["same"] is False
    client.patch(f"{URL}{posted['id']}/", {"level": "regional"}, format="json")
    [match] = client.get(f"{URL}{posted['id']}/matches/").json()["results"]
    assert match["opportunity"]["id"] == offer.pk
    assert match["reasons"]["structured"]["level"]["same"] is True
    assert "Same level: Regional" in match["reasons"]["summary"]


# --------------------------------------------------------------------------- the pages


def form_data(party, **changes):
    data = {
        "direction": "request",
        "organization": party.pk,
        "title": "Formation de deux webmestres",
        "description": "Notre CHM national a besoin de deux webmestres formés.",
        "cooperation_type": "training",
        "capacity": "1",
        "publish": "1",
        "budget_min": "5000",
        "budget_max": "20000",
        "budget_currency": "EUR",
        "cofinancing": "true",
        "cofinancing_amount": "2000",
        "beneficiaries": "Staff of the national CHM",
        "beneficiaries_count": "12",
        "level": "national",
        "expected_outputs": ["people_trained", "websites_launched"],
        "covers": ["travel", "equipment"],
        "duration_months": "6",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_form_keeps_the_needs_in_a_collapsed_section(client_as, party_editor):
    response = client_as(party_editor).get(reverse("web:opportunity_create") + "?direction=request")
    assert '<details class="needs">' in response.text  # closed: the form does not grow for those who skip it
    for name in NEEDS:
        assert f'name="{name}"' in response.text
    assert '<option value="XOF">XOF — West African CFA Franc</option>' in response.text


def test_an_editor_posts_a_request_with_its_needs_through_the_form(client_as, party_editor, party):
    response = client_as(party_editor).post(reverse("web:opportunity_create"), form_data(party))
    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert {name: getattr(opportunity, name) for name in NEEDS} == NEEDS
    page = client_as(party_editor).get(reverse("web:opportunity", args=[opportunity.pk])).text
    for shown in ("5,000 to 20,000 EUR", "Yes, 2,000 EUR", "Staff of the national CHM · 12 people", "National",
                  "6 months", "People trained, Websites launched", "Costs to be covered", "Travel, Equipment"):  # fmt: skip
        assert shown in page


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"budget_max": "1000"}, "budget_max"),
        ({"budget_currency": ""}, "budget_currency"),
        ({"cofinancing": "false"}, "cofinancing_amount"),
        ({"duration_months": "0"}, "duration_months"),
    ],
)
def test_the_form_shows_a_wrong_need_next_to_its_field_in_an_open_section(
    client_as, party_editor, party, changes, field
):
    response = client_as(party_editor).post(reverse("web:opportunity_create"), form_data(party, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert '<details class="needs" open>' in response.text
    assert not Opportunity.objects.exists()


def test_an_offer_is_edited_without_the_request_only_needs(client_as, institute_editor, institute):
    offer = make_opportunity(institute, "offer", "Grants", budget_max=10_000, budget_currency="EUR")
    response = client_as(institute_editor).get(reverse("web:opportunity_edit", args=[offer.pk]))
    fields = response.context["form"].fields
    assert "budget_max" in fields and "covers" in fields
    assert not {"cofinancing", "cofinancing_amount", "beneficiaries", "beneficiaries_count"} & set(fields)
    assert '<details class="needs" open>' in response.text  # it has a budget: shown open
    assert (
        "Budget per partner"
        in client_as(institute_editor).get(reverse("web:opportunity", args=[offer.pk])).text
    )


def test_browse_filters_by_level_and_budget(client, budgets):
    response = client.get(reverse("web:browse"), {"level": "national"})
    assert {o.title for o in response.context["page"]} == {"Co-financed", "Grant"}
    response = client.get(
        reverse("web:browse"), {"budget_currency": "EUR", "budget_from": "3000", "budget_to": "12000"}
    )
    assert {o.title for o in response.context["page"]} == {"Small", "Grant"}
    response = client.get(reverse("web:browse"), {"budget_from": "3000"})
    assert "budget_currency" in response.context["filter"].form.errors


# --------------------------------------------------------------------------- the reports


@pytest.fixture
def reported(party, institute):
    """Requests and offers with structured needs, published and approved, and a draft that never counts."""
    return [
        make_opportunity(party, "request", "A", level="national", budget_min=1_000, budget_max=3_000,
                         budget_currency="EUR", cofinancing_amount=500, beneficiaries_count=10),
        make_opportunity(party, "request", "B", level="national", budget_max=2_000, budget_currency="EUR",
                         cofinancing=True, beneficiaries_count=5),
        make_opportunity(party, "request", "C", level="national", budget_min=7_000, budget_currency="USD"),
        make_opportunity(party, "request", "D", level="regional", cofinancing=False),
        make_opportunity(party, "request", "E"),
        make_opportunity(institute, "offer", "F", level="national", budget_min=4_000, budget_max=6_000,
                         budget_currency="EUR", capacity=3),
        make_opportunity(institute, "offer", "G", level="global", duration_months=12),
        make_opportunity(party, "request", "Draft", status="draft", level="national", budget_max=9,
                         budget_currency="EUR"),
    ]  # fmt: skip


def test_needs_per_level_add_up_the_postings_that_count(reported):
    rows = {row["level"]: row for row in needs.by_level(ReportFilters())}
    assert list(rows) == ["national", "regional", "global", None]  # in the levels' order, "not given" last
    assert rows["national"] == {
        "level": "national", "label": "National", "requests": 3, "offers": 1, "requests_with_budget": 3,
        "offers_with_budget": 1, "requests_with_cofinancing": 2, "requests_counting_beneficiaries": 2,
        "beneficiaries": 15,
    }  # fmt: skip
    assert (rows["regional"]["requests"], rows["regional"]["requests_with_cofinancing"]) == (1, 0)
    assert (rows["global"]["offers"], rows["global"]["offers_with_budget"]) == (1, 0)
    assert rows[None]["label"] == "(none)" and rows[None]["requests"] == 1


def test_budgets_are_added_up_per_level_and_currency_never_across_currencies(reported):
    rows = needs.budgets(ReportFilters())
    assert [(row["level"], row["currency"]) for row in rows] == [("national", "EUR"), ("national", "USD")]
    euros, dollars = rows
    assert euros == {
        "level": "national", "label": "National", "currency": "EUR",
        "requests_with_budget": 2, "requested_from": 1_000 + 2_000, "requested_to": 3_000 + 2_000,
        "offers_with_budget": 1, "offered_from": 4_000 * 3, "offered_to": 6_000 * 3,  # per partner, 3 partners
        "requests_with_cofinancing_amount": 1, "cofinancing": 500,
    }  # fmt: skip
    assert (dollars["requested_from"], dollars["requested_to"], dollars["offered_from"]) == (7_000, 7_000, 0)


def test_budget_reports_in_the_api_as_json_and_csv(client, reported):
    body = client.get("/api/v1/reports/budgets/").json()["results"]
    assert [row["currency"] for row in body] == ["EUR", "USD"]
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/reports/budgets/?format=csv").text)))
    assert csv_rows[0]["offered_to"] == "18000" and csv_rows[0]["label"] == "National"
    levels = client.get("/api/v1/reports/needs/", {"date_from": "2000-01-01"}).json()["results"]
    assert [row["level"] for row in levels] == ["national", "regional", "global", None]
    assert client.get("/api/v1/reports/needs/", {"date_from": "nonsense"}).status_code == 400
    breakdown = client.get("/api/v1/reports/breakdown/", {"by": "level"}).json()["results"]
    assert [(row["key"], row["requests"], row["offers"]) for row in breakdown] == [
        ("global", 0, 1), ("national", 3, 1), ("regional", 1, 0), (None, 1, 0)
    ]  # fmt: skip


def test_the_dashboard_shows_budgets_and_scale(client, reported):
    page = client.get(reverse("web:dashboard")).text
    assert "Budgets and scale" in page
    assert "3,000 – 5,000" in page and "12,000 – 18,000" in page  # requested and offered, in euros
    assert "/api/v1/reports/budgets/?format=csv" in page


def test_the_postings_export_carries_the_needs(client, reported):
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(client.get("/api/v1/reports/export/postings/").streaming_content).decode())
        )
    )
    a = next(row for row in rows if row["title"] == "A")
    assert (a["level"], a["budget_min"], a["budget_max"], a["budget_currency"], a["cofinancing"]) == (
        "national",
        "1000",
        "3000",
        "EUR",
        "True",
    )


def test_an_offer_posted_through_the_form_ignores_the_request_only_needs(client_as, party_editor, party):
    response = client_as(party_editor).post(
        reverse("web:opportunity_create"), form_data(party, direction="offer")
    )
    assert response.status_code == 302
    offer = Opportunity.objects.get()
    assert (offer.direction, offer.beneficiaries, offer.beneficiaries_count, offer.budget_max) == (
        "offer",
        "",
        None,
        20_000,
    )


def test_the_demo_postings_carry_the_needs_their_texts_state(fake_embedder, settings):
    settings.DEBUG = True  # load_demo refuses to run on a production site
    call_command("load_demo", verbosity=0)
    togo = Opportunity.objects.get(import_key="demo:tg-birds")
    assert (togo.level, togo.expected_outputs, togo.beneficiaries_count) == (
        "national",
        ["people_trained"],
        20,
    )
    assert Opportunity.objects.get(import_key="demo:ne-hosting").duration_months == 36
    grants = Opportunity.objects.get(import_key="demo:no-small-grants")
    assert (grants.budget_max, grants.budget_currency) == (15_000, "USD")
    assert not Opportunity.objects.filter(import_key="demo:be-hosting").exclude(level="").exists()


def test_imports_needs_from_csv_and_reports_a_bad_one_by_line(tmp_path, fake_embedder, party, capsys):
    path = tmp_path / "requests.csv"
    path.write_text(
        "direction,title,description,organization,level,budget_max,budget_currency,expected_outputs\n"
        f"request,Training,Train two webmasters,{party.pk},national,9000,XOF,people_trained;websites_launched\n"
    )
    call_command("import_opportunities", str(path), verbosity=0)
    imported = Opportunity.objects.get()
    assert (imported.level, imported.budget_max, imported.budget_currency) == ("national", 9_000, "XOF")
    assert imported.expected_outputs == ["people_trained", "websites_launched"]
    path.write_text(
        "direction,title,description,organization,budget_min,budget_max,budget_currency\n"
        f"request,Training 2,Train,{party.pk},9000,100,XOF\n"
    )
    with pytest.raises(CommandError):
        call_command("import_opportunities", str(path), verbosity=0)
    assert "line 2: budget_max" in capsys.readouterr().err
    assert Opportunity.objects.count() == 1


def test_staff_change_needs_in_the_admin_with_the_same_rules(admin_client, party_request):
    url = reverse("admin:matchmaking_opportunity_change", args=[party_request.pk])
    form = {
        "title": party_request.title, "description": party_request.description, "cooperation_type": "hosting",
        "themes": ["information_systems"], "languages": ["fr"], "capacity": 1,
        "level": "national", "budget_max": "3000", "budget_currency": "EUR", "covers": ["hosting"],
    }  # fmt: skip
    assert admin_client.post(url, form).status_code == 302
    party_request.refresh_from_db()
    assert (party_request.level, party_request.budget_max, party_request.covers) == (
        "national",
        3_000,
        ["hosting"],
    )
    response = admin_client.post(url, {**form, "budget_min": "5000"})
    assert response.status_code == 200 and "budget_max" in response.context["adminform"].form.errors


def test_offered_budgets_add_up_beyond_a_bigint(client, institute):
    make_opportunity(institute, "offer", "Huge", budget_max=10**12, budget_currency="USD", capacity=10**9)
    make_opportunity(institute, "offer", "Huge too", budget_max=10**12, budget_currency="USD", capacity=10**9)
    [row] = client.get("/api/v1/reports/budgets/").json()["results"]
    assert row["offered_to"] == 2 * 10**21
