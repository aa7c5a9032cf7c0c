"""The search page and the API's text search: offers, requests or both; pages with the total; the
passage of each result with the words searched marked (and escaped); near-identical postings
grouped; a French query finding English postings (the real model); bad parameters refused."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from matchmaking.models import Organization
from matchmaking.services.embeddings import embed_opportunities
from matchmaking.services.opportunities import close_opportunity
from tests.conftest import make_opportunity as make_unembedded

pytestmark = pytest.mark.django_db

SEARCH = reverse("web:search")
API = "/api/v1/opportunities/"
# Words that no two postings below share, so that none is near-identical to another.
WORDS = (
    "forest marine island mountain wetland desert river coral savanna tundra grassland mangrove lake "
    "glacier estuary steppe reef delta canyon lagoon plateau marsh dune fjord"
).split()


def make_opportunity(*args, **kwargs):
    """An opportunity made through the service, and embedded (a test's transaction never commits,
    so the task queued on commit never runs)."""
    opportunity = make_unembedded(*args, **kwargs)
    embed_opportunities([opportunity.pk])
    opportunity.refresh_from_db()
    return opportunity


def shown(response):
    return [result["opportunity"].pk for result in response.context["results"]]


def distinct_postings(organization, direction, n, start=0):
    """n postings about hosting servers, each otherwise in words of its own."""
    return [
        make_opportunity(
            organization,
            direction,
            f"Hosting for the {WORDS[i]} observatory",
            description=f"Servers for {WORDS[i]} data, {WORDS[(i + 7) % len(WORDS)]} maps.",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def fake_model(fake_embedder):
    """Most tests here need no real model: a bag of words stands in for it."""
    return fake_embedder


# --------------------------------------------------------------------------- offers, requests, pages


def test_offers_requests_or_both_are_chosen_and_kept_in_the_links(client, party, institute, fake_model):
    offers = distinct_postings(institute, "offer", 3)
    requests = distinct_postings(party, "request", 3, start=3)
    both = client.get(SEARCH, {"q": "hosting servers"})
    assert set(shown(both)) == {p.pk for p in offers + requests}
    assert re.search(r'<input type="radio" name="direction" value=""[^>]*checked', both.text)
    only_offers = client.get(SEARCH, {"q": "hosting servers", "direction": "offer"})
    assert set(shown(only_offers)) == {p.pk for p in offers}
    assert re.search(r'<input type="radio" name="direction" value="offer"[^>]*checked', only_offers.text)
    only_requests = client.get(SEARCH, {"q": "hosting servers", "direction": "request"})
    assert set(shown(only_requests)) == {p.pk for p in requests}


def test_results_come_in_pages_with_the_total(client, institute, fake_model):
    offers = distinct_postings(institute, "offer", 13)
    first = client.get(SEARCH, {"q": "hosting servers", "direction": "offer"})
    assert len(first.context["results"]) == 10 and first.context["page"].paginator.count == 13
    assert "13 results for “hosting servers”" in first.text
    assert 'href="?q=hosting+servers&amp;direction=offer&amp;page=2"' in first.text
    second = client.get(SEARCH, {"q": "hosting servers", "direction": "offer", "page": 2})
    assert len(second.context["results"]) == 3
    assert 'rel="prev" href="?q=hosting+servers&amp;direction=offer&amp;page=1"' in second.text
    assert set(shown(first)) | set(shown(second)) == {p.pk for p in offers}
    assert not set(shown(first)) & set(shown(second))
    past_the_end = client.get(SEARCH, {"q": "hosting servers", "direction": "offer", "page": 9})
    assert shown(past_the_end) == shown(second)  # the last page, as the browse page does


@pytest.mark.django_db(transaction=True)  # committed, as in production: the index reads no writes of its own
def test_a_search_page_makes_a_fixed_number_of_queries(
    transactional_reference_data, client, institute, fake_embedder
):
    """As many queries for a page of two results as for a page of ten with near-identical pairs to
    compare: the feed, the titles (and terms) of the results that may be near-identical, the results."""
    distinct_postings(institute, "offer", 2)
    client.get(SEARCH, {"q": "hosting servers"})  # the first call after a change reads it into the index
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(SEARCH, {"q": "hosting servers"}).context["results"]) == 2
    distinct_postings(institute, "offer", 12, start=2)
    make_opportunity(
        institute, "offer", "Hosting for the forest observatory", description="Servers for forest data."
    )
    client.get(SEARCH, {"q": "hosting servers"})
    with CaptureQueriesContext(connection) as many:
        response = client.get(SEARCH, {"q": "hosting servers"})
    assert len(response.context["results"]) == 10 and "and 1 similar posting" in response.text
    assert len(many) <= len(few), [q["sql"][:80] for q in many.captured_queries]


# --------------------------------------------------------------------------- passages


def test_the_passage_marks_the_words_searched_and_escapes_the_text(client, institute, fake_model):
    make_opportunity(
        institute,
        "offer",
        "Courses <i>for</i> webmasters",
        description=(
            "Our institute was founded long ago. "
            "<script>alert(1)</script> Two webmasters a year learn in <b>Brussels</b> how to run a site. "
            "Lunch is included."
        ),
    )
    response = client.get(SEARCH, {"q": "webmasters Brussels"})
    assert "<script>alert(1)</script>" not in response.text and "<b>Brussels" not in response.text
    passage = re.search(r'<p class="passage" dir="auto">(.*?)</p>', response.text).group(1)
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Two <mark>webmasters</mark> a year learn in "
        "&lt;b&gt;<mark>Brussels</mark>&lt;/b&gt; how to run a site. …"
    ) in passage
    assert "Courses &lt;i&gt;for&lt;/i&gt; <mark>webmasters</mark></a>" in response.text


def test_the_passage_of_a_text_in_another_language_is_chosen_by_meaning(client_for, institute, party):
    offer = make_opportunity(
        institute,
        "offer",
        "Capacity building for national focal points",
        description=(
            "Our museum was founded in 1846 and keeps eight million specimens. "
            "Each year we train two webmasters from developing countries to build and maintain their "
            "national clearing-house website. The museum café is open on Sundays."
        ),
        languages=["en"],
    )
    response = client_for("anonymous").get(SEARCH, {"q": "formation de webmestres pour notre site web"})
    [result] = [r for r in response.context["results"] if r["opportunity"] == offer]
    passage = strip_tags(result["passage"])
    assert passage.startswith("… Each year we train two webmasters"), passage


# --------------------------------------------------------------------------- near-identical postings


def test_near_identical_postings_are_one_result_with_the_others_listed(client, institute):
    countries = ["KE", "BJ", "SN", "ML", "NE", "TD"]
    parties = [
        Organization.objects.create(name=f"National CHM focal point of {code}", kind="party", country_id=code)
        for code in countries
    ]
    title = "Training of webmasters for our national CHM"
    copies = [
        make_opportunity(party, "request", title, description=f"{title}. {party.name}.") for party in parties
    ]
    other = make_opportunity(
        parties[0],
        "request",
        "Two webmasters to train",
        description="Our clearing-house website has no webmaster since March; we need two people trained.",
    )
    offer = make_opportunity(
        institute,
        "offer",
        "Training course for webmasters",
        description="A two-week course in Brussels on building and maintaining biodiversity websites.",
    )
    response = client.get(SEARCH, {"q": "formation des webmestres"})
    results = {r["opportunity"].pk: r for r in response.context["results"]}
    grouped = [pk for pk in results if pk in {c.pk for c in copies}]
    assert len(grouped) == 1  # the six copies are one result...
    assert {p.pk for p in results[grouped[0]]["similar"]} | set(grouped) == {c.pk for c in copies}
    assert "and 5 similar postings" in response.text  # ...that lists the five others
    assert other.pk in results and offer.pk in results  # distinct postings stay apart
    assert response.context["found"] == 8 and response.context["page"].paginator.count == 3


# --------------------------------------------------------------------------- languages


@pytest.fixture
def english_offers(institute):
    return {
        "training": make_opportunity(
            institute,
            "offer",
            "Training course for webmasters",
            description="A two-week course in Brussels on building and maintaining biodiversity websites.",
        ),
        "hosting": make_opportunity(
            institute,
            "offer",
            "Hosting of national CHM websites",
            description="We host the clearing-house websites of developing countries on our servers.",
        ),
    }


def test_a_french_query_finds_the_english_offer_on_the_page_and_in_the_api(client_for, english_offers):
    client = client_for("anonymous")
    page = client.get(SEARCH, {"q": "formation des webmestres", "direction": "offer"})
    assert shown(page)[0] == english_offers["training"].pk
    found = client.get(API, {"q": "formation des webmestres", "direction": "offer"}).json()
    assert found["results"][0]["id"] == english_offers["training"].pk


def test_the_words_of_a_french_query_are_read_in_french(api, party, fake_model):
    """A closed posting is reached by its words only (full-text search): French stop words and plurals
    in the query must not keep it out, as English ones would not keep an English posting out."""
    posting = make_opportunity(
        party,
        "request",
        "Formation de webmestre pour le CHM",
        description="Nous cherchons une formation pour deux agents chargés du site national du CHM.",
        languages=["fr"],
    )
    assert posting.text_language == "fr"
    close_opportunity(posting, user=None)
    found = api.get(API, {"q": "formations des webmestres"}).json()["results"]
    assert [p["id"] for p in found] == [posting.pk]


# --------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "x" * 501}, "q"),
        ({"q": "hosting", "direction": "both"}, "direction"),
        ({"q": "hosting", "page": "two"}, "page"),
        ({"q": "hosting", "page": "0"}, "page"),
    ],
)
def test_bad_parameters_are_a_form_error_on_the_page(client, institute_offer, fake_model, params, field):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="errorlist' in response.text and response.context["results"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "x" * 501}, "q"),
        ({"q": "hosting", "direction": "both"}, "direction"),
        ({"q": "hosting", "page": "two"}, "page"),
        ({"q": "hosting", "page": "-1"}, "page"),
        ({"q": "hosting", "page_size": "many"}, "page_size"),
        ({"q": "hosting", "page_size": "0"}, "page_size"),
    ],
)
def test_bad_parameters_are_a_400_on_them_in_the_api(api, institute_offer, fake_model, params, field):
    response = api.get(API, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_api_search_keeps_to_the_direction_and_pages(api, party, institute, fake_model):
    offers = distinct_postings(institute, "offer", 3)
    distinct_postings(party, "request", 3, start=3)
    first = api.get(API, {"q": "hosting servers", "direction": "offer", "page_size": 2}).json()
    assert first["count"] == 3 and "direction=offer" in first["next"] and "q=hosting" in first["next"]
    second = api.get(first["next"]).json()
    assert {p["id"] for p in first["results"] + second["results"]} == {p.pk for p in offers}
