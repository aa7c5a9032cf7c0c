"""The filters, search, ordering and pagination of the opportunities list: one test per filter."""

import datetime

import pytest
from django.utils import timezone

from matchmaking.models import Opportunity, Organization
from matchmaking.services.embeddings import embed_opportunities
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def found(client, **params):
    return set(ids(client.get(URL, params)))


@pytest.fixture
def anonymous(client_for):
    return client_for("anonymous")


@pytest.fixture
def chile(db):
    return Organization.objects.create(name="Ministerio del Medio Ambiente", kind="party", country_id="CL")


def test_direction(anonymous, party_request, institute_offer):
    assert found(anonymous, direction="offer") == {institute_offer.pk}
    assert found(anonymous, direction="request") == {party_request.pk}


def test_status(client_for, party_request, party_draft, party_editor):
    party_request.status = "closed"
    party_request.save()
    client = client_for("party_editor")
    assert found(client, status="draft") == {party_draft.pk}
    assert found(client, status="closed") == {party_request.pk}
    assert found(client, status="open") == set()


def test_cooperation_type_any_of(anonymous, party, party_request, institute_offer):
    training = make_opportunity(party, "request", "Webmasters", cooperation_type_id="training")
    make_opportunity(party, "request", "Grants", cooperation_type_id="funding")
    assert found(anonymous, cooperation_type="training") == {training.pk}
    both = {training.pk, party_request.pk, institute_offer.pk}
    assert found(anonymous, cooperation_type=["training", "hosting"]) == both


def test_themes_any_of(anonymous, party):
    forest = make_opportunity(party, "request", "Forest inventory", themes=["forest", "taxonomy"])
    marine = make_opportunity(party, "request", "Reef survey", themes=["marine_coastal"])
    make_opportunity(party, "request", "Other", themes=["biosafety"])
    assert found(anonymous, themes="taxonomy") == {forest.pk}
    response = anonymous.get(URL, {"themes": ["forest", "taxonomy", "marine_coastal"]})
    assert sorted(ids(response)) == sorted([forest.pk, marine.pk])


def test_objectives_any_of_by_code(anonymous, party):
    first = make_opportunity(party, "request", "First")
    first.objectives.set(first.objectives.model.objects.filter(code__in=["1.1", "2.5"]))
    target = make_opportunity(party, "request", "Target")
    target.objectives.set(target.objectives.model.objects.filter(code="GBF-TARGET-20"))
    make_opportunity(party, "request", "None")
    assert found(anonymous, objectives="2.5") == {first.pk}
    assert found(anonymous, objectives=["1.1", "GBF-TARGET-20"]) == {first.pk, target.pk}


def test_organization(anonymous, party, party_request, institute_offer):
    assert found(anonymous, organization=party.pk) == {party_request.pk}


def test_country_of_the_organization(anonymous, party_request, institute_offer):
    assert found(anonymous, country="BE") == {institute_offer.pk}
    assert found(anonymous, country="CD") == {party_request.pk}


def test_un_group_of_the_organization(anonymous, party_request, institute_offer):
    assert found(anonymous, un_group="AFR") == {party_request.pk}
    assert found(anonymous, un_group="WEOG") == {institute_offer.pk}


def test_eligible_for(anonymous, institute, party_request, institute_offer):
    eu_only = make_opportunity(institute, "offer", "EU grants", eligible_groups=["eu"])
    chile_only = make_opportunity(institute, "offer", "For Chile", eligible_countries=["CL"])
    # The DR Congo is developing, Chile is not on the DAC list, Norway is in no listed group.
    assert found(anonymous, eligible_for="CD") == {party_request.pk, institute_offer.pk}
    assert found(anonymous, eligible_for="CL") == {party_request.pk, chile_only.pk}
    assert found(anonymous, eligible_for="FR") == {party_request.pk, eu_only.pk}
    assert found(anonymous, eligible_for="NO") == {party_request.pk}


def test_language(anonymous, party_request, institute_offer):
    assert found(anonymous, language="fr") == {party_request.pk, institute_offer.pk}
    assert found(anonymous, language="en") == {institute_offer.pk}
    assert found(anonymous, language="es") == set()


def test_open_on_a_date(anonymous, party):
    march = make_opportunity(
        party, "request", "March", starts_on=datetime.date(2027, 3, 1), ends_on=datetime.date(2027, 3, 31)
    )
    from_april = make_opportunity(party, "request", "From April", starts_on=datetime.date(2027, 4, 1))
    undated = make_opportunity(party, "request", "Undated")
    assert found(anonymous, open_on="2027-03-15") == {march.pk, undated.pk}
    assert found(anonymous, open_on="2027-04-01") == {from_april.pk, undated.pk}
    assert found(anonymous, open_on="2027-02-01") == {undated.pk}


def test_created_after_and_before(anonymous, party_request, institute_offer):
    now = timezone.now()
    Opportunity.objects.filter(pk=party_request.pk).update(created_at=now - datetime.timedelta(days=10))
    cut = (now - datetime.timedelta(days=5)).date().isoformat()
    assert found(anonymous, created_after=cut) == {institute_offer.pk}
    assert found(anonymous, created_before=cut) == {party_request.pk}
    assert found(anonymous, created_after=now.date().isoformat()) == {institute_offer.pk}


def test_q_searches_title_and_description(anonymous, party, institute):
    hosting = make_opportunity(
        institute, "offer", "Servers for national websites", description="We host sites."
    )
    training = make_opportunity(party, "request", "Hosting course for webmasters", description="A course.")
    make_opportunity(party, "request", "Taxonomy grants", description="Study our collections.")
    # Full-text search stems words: "hosting" finds "host".
    assert found(anonymous, q="hosting") == {hosting.pk, training.pk}
    assert found(anonymous, q="course webmasters") == {training.pk}
    assert found(anonymous, q="nothing like this") == set()
    # A word in the title ranks first.
    assert ids(anonymous.get(URL, {"q": "hosting"}))[0] == training.pk


def test_ordering_on_the_whitelist(anonymous, party):
    for title in ["b", "a", "c", "a"]:
        make_opportunity(party, "request", title)
    by_title = ids(anonymous.get(URL, {"ordering": "title"}))
    rows = Opportunity.objects.order_by("title", "id")
    assert by_title == [p.pk for p in rows]
    assert ids(anonymous.get(URL, {"ordering": "-title"}))[0] == rows.filter(title="c").get().pk


def test_ordering_outside_the_whitelist_is_refused(anonymous):
    response = anonymous.get(URL, {"ordering": "contact_email"})
    assert response.status_code == 400
    assert "ordering" in response.json()


@pytest.mark.parametrize(
    "params",
    [
        {"themes": "forests"},
        {"objectives": "9.9"},
        {"country": "XX"},
        {"eligible_for": "XX"},
        {"language": "english"},
        {"un_group": "ldc"},
        {"direction": "both"},
        {"open_on": "soon"},
        {"created_after": "yesterday"},
    ],
)
def test_bad_filter_values_are_a_400_on_their_parameter(anonymous, params):
    response = anonymous.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_pages_have_count_next_previous_and_a_stable_order(anonymous, party):
    created = [make_opportunity(party, "request", f"Posting {n}").pk for n in range(25)]
    first = anonymous.get(URL).json()
    assert first["count"] == 25 and first["previous"] is None and first["next"]
    second = anonymous.get(first["next"]).json()
    assert second["next"] is None and second["previous"]
    # Newest first; opportunities made in the same instant are ordered by id.
    assert [row["id"] for row in first["results"] + second["results"]] == created[::-1]
    assert len(anonymous.get(URL, {"page_size": 5}).json()["results"]) == 5


def test_a_page_past_the_end_is_a_404(anonymous, party_request):
    assert anonymous.get(URL, {"page": 3}).status_code == 404


def test_q_ranks_by_meaning_across_languages(anonymous, party, institute):
    """The real model: a French query finds the English hosting offer that shares none of its words."""

    hosting = make_opportunity(
        institute, "offer", "Servers for national websites", description="We host sites."
    )
    make_opportunity(party, "request", "Taxonomy grants", description="Study our collections.")
    embed_opportunities(Opportunity.objects.values_list("pk", flat=True))
    assert ids(anonymous.get(URL, {"q": "héberger notre site"})) == [hosting.pk]
