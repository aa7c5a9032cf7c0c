"""The matches of an opportunity: its shape, its hard filters, its limit, and who may ask."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from matchmaking.models import Organization
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Ranking may embed; the real model is never loaded here."""


def matches_url(opportunity, **params):
    query = "".join(f"&{key}={value}" for key, value in params.items()).replace("&", "?", 1)
    return f"/api/v1/opportunities/{opportunity.pk}/matches/{query}"


def matched_ids(client, opportunity, **params):
    response = client.get(matches_url(opportunity, **params))
    assert response.status_code == 200, response.json()
    return [row["opportunity"]["id"] for row in response.json()["results"]]


def test_a_match_has_the_contract_shape(client_for, party_request, institute_offer):
    response = client_for("party_editor").get(matches_url(party_request, limit=10))
    assert response.status_code == 200
    [match] = response.json()["results"]
    assert set(match) == {"opportunity", "score", "reasons"}
    assert match["opportunity"]["id"] == institute_offer.pk
    assert match["opportunity"]["title"] == institute_offer.title
    assert match["opportunity"]["direction"] == "offer"
    assert isinstance(match["score"], float)
    assert isinstance(match["reasons"], dict)


def test_an_offer_is_matched_with_requests(client_for, party_request, institute_offer):
    assert matched_ids(client_for("institute_editor"), institute_offer) == [party_request.pk]


def test_never_recommends_what_the_contract_forbids(
    client_for, party, institute, party_request, institute_offer
):
    elsewhere = Organization.objects.create(name="Museum", kind="institute", country_id="NL")
    make_opportunity(institute, "offer", "Closed", status="closed")
    make_opportunity(institute, "offer", "Draft", status="draft")
    make_opportunity(institute, "offer", "Expired", ends_on=YESTERDAY)
    make_opportunity(institute, "offer", "Past its deadline", application_deadline=YESTERDAY)
    make_opportunity(institute, "offer", "For the EU only", eligible_groups=["eu"])
    make_opportunity(institute, "offer", "For Chile only", eligible_countries=["CL"])
    make_opportunity(party, "offer", "Offered by the Party itself")
    make_opportunity(elsewhere, "request", "Another request")
    assert matched_ids(client_for("anonymous"), party_request) == [institute_offer.pk]


def test_an_offer_is_never_matched_with_ineligible_requests(client_for, institute, party_request):
    chile = Organization.objects.create(name="Ministerio", kind="party", country_id="CL")
    make_opportunity(chile, "request", "Chilean request")
    offer = make_opportunity(institute, "offer", "For developing countries", eligible_groups=["developing"])
    assert matched_ids(client_for("anonymous"), offer) == [party_request.pk]


def test_matches_reflect_an_opportunity_made_just_before(
    client_for, party, party_request, institute, institute_editor
):
    client = client_for("institute_editor")
    data = {
        "direction": "offer",
        "title": "Mirror sites",
        "description": "We mirror CHM sites.",
        "organization": institute.pk,
    }
    new = client.post("/api/v1/opportunities/", data, format="json").json()["id"]
    assert new in matched_ids(client, party_request)


def test_limit_defaults_to_ten_and_caps_the_results(client_for, institute, party_request):
    for n in range(12):
        make_opportunity(institute, "offer", f"Offer {n}")
    client = client_for("anonymous")
    assert len(matched_ids(client, party_request)) == 10
    assert len(matched_ids(client, party_request, limit=3)) == 3
    assert len(matched_ids(client, party_request, limit=50)) == 12


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten", "2.5"])
def test_a_bad_limit_is_a_400(client_for, party_request, limit):
    response = client_for("anonymous").get(matches_url(party_request, limit=limit))
    assert response.status_code == 400
    assert set(response.json()) == {"limit"}


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("party_viewer", 200),
        ("staff", 200),
        ("institute_editor", 404),
        ("outsider", 404),
        ("anonymous", 404),
    ],
)
def test_matches_of_a_draft_follow_its_visibility(
    client_for, party_draft, party_editor, party_viewer, who, status
):
    assert client_for(who).get(matches_url(party_draft)).status_code == status


@pytest.mark.parametrize("who", ["party_editor", "institute_editor", "outsider", "staff", "anonymous"])
def test_matches_of_a_public_opportunity_are_public(client_for, party_request, who):
    assert client_for(who).get(matches_url(party_request)).status_code == 200


def test_matches_of_a_missing_opportunity_are_a_404(client_for, db):
    assert client_for("anonymous").get("/api/v1/opportunities/999999/matches/").status_code == 404


@pytest.mark.django_db(transaction=True)  # committed, as in production: the index reads no writes of its own
def test_matches_make_a_fixed_number_of_queries(
    transactional_reference_data, client_for, institute, party_request, django_assert_max_num_queries
):
    for n in range(10):
        offer = make_opportunity(institute, "offer", f"Offer {n}", themes=["taxonomy"], languages=["en"])
        offer.objectives.set(offer.objectives.model.objects.filter(code__in=["1.1", "3.1"]))
    client = client_for("party_editor")
    matched_ids(client, party_request)  # the first call after a change may rebuild the ranking's index
    with CaptureQueriesContext(connection) as few:
        assert len(matched_ids(client, party_request, limit=2)) == 2
    with django_assert_max_num_queries(len(few)):
        assert len(matched_ids(client, party_request, limit=10)) == 10
    # the posting asked about, the feed, the results, who may see contacts; profiles and lists come
    # from the index
    assert len(few) <= 6, [q["sql"][:80] for q in few.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_matches_list_each_posting_as_the_posting_itself_does(
    transactional_reference_data, client_for, institute, party, party_request
):
    """The lists a match shows come from the recommendation index: the same keys, in the same order,
    as the posting's own page in the API."""
    offer = make_opportunity(
        institute,
        "offer",
        "Herbarium training",
        themes=["taxonomy", "forest", "information_systems"],
        languages=["fr", "en", "es"],
        eligible_groups=["ldc", "developing"],
        eligible_countries=["CD", "BE"],
    )
    offer.objectives.set(offer.objectives.model.objects.filter(code__in=["3.1", "1.1", "GBF-TARGET-20"]))
    client = client_for("party_editor")
    [match] = [
        m
        for m in client.get(matches_url(party_request)).json()["results"]
        if m["opportunity"]["id"] == offer.pk
    ]
    assert match["opportunity"] == client.get(f"/api/v1/opportunities/{offer.pk}/").json()
