import datetime
import random

import pytest
from django.utils import timezone

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, Objective, Opportunity, Organization
from matchmaking.recommendations.embedding import embedding_text
from matchmaking.recommendations.filters import candidates_for
from matchmaking.recommendations.index import reading
from matchmaking.recommendations.recommend import recommend
from matchmaking.recommendations.search import search_scores
from matchmaking.services.embeddings import embed_opportunities, ensure_embedded
from matchmaking.services.opportunities import create_opportunity, update_opportunity

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def post(organization, direction, title="Hosting of national CHM websites", **data):
    data.setdefault("description", "We host national clearing-house mechanism websites on our servers.")
    data.setdefault("cooperation_type_id", "hosting")
    return create_opportunity(
        user=None, data={"direction": direction, "title": title, "organization": organization, **data}
    )


def recommended_ids(query, **kwargs):
    return [r["opportunity"].pk for r in recommend(query, **kwargs)]


@pytest.fixture
def need(party, fake_embedder):
    return post(party, "request", title="Our CHM website needs a reliable host")


def test_recommends_an_open_offer_of_another_organization(need, institute):
    offer = post(institute, "offer")
    assert recommended_ids(need) == [offer.pk]


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_never_recommends_an_opportunity_that_is_not_open(need, institute, status):
    post(institute, "offer", status=status)
    assert recommended_ids(need) == []


def test_never_recommends_an_opportunity_of_the_same_direction(need, institute):
    post(institute, "request")
    assert recommended_ids(need) == []


def test_never_recommends_an_expired_offer(need, institute):
    post(institute, "offer", ends_on=TODAY - datetime.timedelta(days=1))
    still_open = post(institute, "offer", ends_on=TODAY)
    assert recommended_ids(need) == [still_open.pk]


def test_never_recommends_an_offer_past_its_application_deadline(need, institute):
    post(institute, "offer", application_deadline=TODAY - datetime.timedelta(days=1))
    assert recommended_ids(need) == []


def test_never_recommends_an_opportunity_of_the_same_organization(need, party):
    post(party, "offer")
    assert recommended_ids(need) == []


def test_never_recommends_an_offer_whose_capacity_is_used_up(need, institute, party):
    offer = post(institute, "offer", capacity=1)
    other_need = post(party, "request", title="Another need")
    Match.objects.create(request=other_need, offer=offer, initiated_by=party, status=MatchStatus.ACCEPTED)
    assert recommended_ids(need) == []


def test_cancelled_match_frees_the_slot(need, institute, party):
    offer = post(institute, "offer", capacity=1)
    other_need = post(party, "request", title="Another need")
    Match.objects.create(request=other_need, offer=offer, initiated_by=party, status=MatchStatus.CANCELLED)
    assert recommended_ids(need) == [offer.pk]


@pytest.mark.parametrize(
    ("groups", "countries", "eligible"),
    [
        (["ldc"], [], True),  # CD is an LDC
        (["AFR"], [], True),
        (["sids"], [], False),
        (["eu"], [], False),
        ([], ["CD"], True),
        ([], ["CL"], False),
        (["sids"], ["CD"], True),  # any of the listed
    ],
)
def test_offer_eligibility_is_enforced(need, institute, groups, countries, eligible):
    offer = post(institute, "offer", eligible_groups=groups, eligible_countries=countries)
    assert (offer.pk in recommended_ids(need)) is eligible


def test_an_offer_is_recommended_only_requests_it_admits(institute, fake_embedder):
    offer = post(institute, "offer", eligible_groups=["developing"])
    chile = Organization.objects.create(name="Chile", kind="party", country_id="CL")
    mali = Organization.objects.create(name="Mali", kind="party", country_id="ML")
    post(chile, "request")
    mali_need = post(mali, "request")
    assert recommended_ids(offer) == [mali_need.pk]


def test_reasons_name_themes_languages_and_eligibility(need, institute):
    need.themes.set(["information_systems", "island"])
    need.languages.set(["fr"])
    need.objectives.set(Objective.objects.filter(code="3.1"))
    need.save()
    offer = post(
        institute, "offer", eligible_groups=["ldc"], themes=["information_systems"], languages=["fr", "en"]
    )
    offer.objectives.set(Objective.objects.filter(code__in=["3.1", "2.5"]))
    offer.save()
    (result,) = recommend(need)
    reasons = result["reasons"]
    assert result["opportunity"] == offer
    assert reasons["shared_themes"] == ["information_systems"]
    assert reasons["shared_objectives"] == ["3.1"]
    assert reasons["common_languages"] == ["fr"]
    assert reasons["eligible_through"] == {"open_to_all": False, "listed": False, "groups": ["ldc"]}
    assert reasons["eligibility"] == "Your country is eligible: Least developed countries"
    assert 0.0 <= reasons["semantic"] <= 1.0 and 0.0 <= reasons["lexical"] <= 1.0
    assert reasons["type_fit"] == 1.0
    assert "Shares themes: Information systems" in reasons["summary"]


def test_index_applies_the_same_hard_filters_as_the_database(party, institute, fake_embedder):
    rng = random.Random(7)
    countries = ["CD", "CL", "NO", "FJ", "SC", "MG", "BE", "ML"]
    organizations = [party, institute] + [
        Organization.objects.create(name=f"Org {c}", kind="party", country_id=c) for c in countries
    ]
    opportunities = []
    for n in range(60):
        direction = rng.choice(["offer", "request"])
        offer = direction == "offer"
        opportunities.append(
            post(
                rng.choice(organizations),
                direction,
                title=f"Posting {n}",
                status=rng.choice(["open", "open", "open", "closed", "draft"]),
                ends_on=rng.choice(
                    [None, TODAY - datetime.timedelta(days=3), TODAY + datetime.timedelta(days=9)]
                ),
                capacity=rng.choice([1, 2]),
                eligible_groups=rng.sample(["ldc", "sids", "developing", "eu", "APAC"], rng.randint(0, 2))
                if offer
                else [],
                eligible_countries=rng.sample(countries, rng.randint(0, 1)) if offer else [],
            )
        )
    offers = [p for p in opportunities if p.direction == "offer" and p.status == "open"]
    requests = [p for p in opportunities if p.direction == "request" and p.status == "open"]
    for offer, request in zip(offers[:4], requests[:4], strict=False):
        Match.objects.create(request=request, offer=offer, initiated_by=party, status=MatchStatus.ACCEPTED)
    for query in Opportunity.objects.all():
        expected = set(candidates_for(query).values_list("pk", flat=True))
        assert set(recommended_ids(query, limit=100)) == expected, query


def test_unchanged_text_is_never_embedded_twice(institute, fake_embedder):
    offer = post(institute, "offer")

    def encoded():  # the texts of the offer encoded so far (the vocabulary's phrases are encoded too)
        return [t for t in fake_embedder.encoded if t.startswith(offer.title)]

    embed_opportunities([offer.pk])
    embed_opportunities([offer.pk])
    assert len(encoded()) == 1
    update_opportunity(offer, user=None, data={"capacity": 5})
    embed_opportunities([offer.pk])
    assert len(encoded()) == 1
    update_opportunity(offer, user=None, data={"description": "We now also mirror sites."})
    embed_opportunities([offer.pk])
    assert len(encoded()) == 2


def test_matches_embed_a_missing_query_vector_once(need, institute, fake_embedder):
    post(institute, "offer")
    for _ in range(2):  # what the matches endpoint and the opportunity page do
        ensure_embedded(need)
        recommend(need)
    assert fake_embedder.encoded.count(embedding_text(need.title, need.description)) == 1


def test_a_new_request_reads_only_itself_into_the_index(need, institute, party):
    offer = post(institute, "offer")
    embed_opportunities([need.pk, offer.pk])
    recommend(need)
    with reading() as index:
        built, offers, merges = index, index.sides["offer"].pool, index.lexical.merges
    another = post(party, "request", title="We also need a mirror site")
    assert set(recommended_ids(offer)) == {need.pk, another.pk}
    with reading() as index:
        assert index is built  # not built anew
        assert index.sides["offer"].pool is offers  # the offers were not touched
        assert index.lexical.merges == merges  # one new row is added, not the words re-weighted
        assert another.pk in index.sides["request"].slots


def test_search_judges_an_opportunity_not_embedded_yet_on_its_words(institute, fake_embedder):
    embedded = post(
        institute, "offer", title="Taxonomy grants", description="Study our herbarium collections."
    )
    embed_opportunities([embedded.pk])
    waiting = post(
        institute, "offer", title="Mirror sites abroad", description="We mirror national websites."
    )
    assert [pk for pk, _ in search_scores("mirror sites abroad")] == [waiting.pk]
