"""The recommendation index follows the database through the change feed: every write that can
change a recommendation is reflected at the next call, reading only what it touched; nothing is
missed when transactions commit out of order, and a rolled back write leaves nothing behind."""

import psycopg
import pytest
from django.db import connection, transaction

from matchmaking.choices import MatchStatus
from matchmaking.models import (
    Country,
    CountryGroup,
    IndexChange,
    Match,
    Objective,
    Opportunity,
    RankerWeights,
)
from matchmaking.recommendations import index as index_module
from matchmaking.recommendations.feed import Feed, prune
from matchmaking.recommendations.index import forget, reading
from matchmaking.recommendations.recommend import recommend
from matchmaking.services.opportunities import close_opportunity, delete_opportunity, update_opportunity
from matchmaking.services.ranking import set_weights_in_use
from tests.conftest import make_opportunity
from tests.test_backup import database_url

pytestmark = pytest.mark.django_db


def recommended(query):
    query = Opportunity.objects.get(pk=query.pk)
    return [r["opportunity"].pk for r in recommend(query, limit=50)]


def hosting_offer(organization, title="Hosting of national CHM websites", **data):
    data.setdefault("cooperation_type_id", "hosting")
    return make_opportunity(organization, "offer", title, **data)


@pytest.fixture
def need(party, fake_embedder):
    return make_opportunity(party, "request", "Our CHM website needs a host", cooperation_type_id="hosting")


@pytest.fixture
def built():
    """The index as built once: the tests check it is changed in place, not built again."""
    with reading() as index:
        return index


def same_index(built):
    with reading() as index:
        return index is built


def test_a_deleted_offer_leaves_the_index(need, institute, built):
    offer = hosting_offer(institute)
    assert recommended(need) == [offer.pk]
    delete_opportunity(offer, user=None)
    assert recommended(need) == []
    assert same_index(built)


def test_a_closed_or_edited_offer_is_read_again(need, institute, built):
    offer, other = hosting_offer(institute), hosting_offer(institute, "Mirror sites abroad")
    assert set(recommended(need)) == {offer.pk, other.pk}
    close_opportunity(offer, user=None)
    update_opportunity(other, user=None, data={"ends_on": "2000-01-01"})
    assert recommended(need) == []
    assert same_index(built)


def test_a_country_moved_into_a_group_is_eligible_at_once(need, institute, built):
    offer = hosting_offer(institute, eligible_groups=["sids"])
    assert recommended(need) == []  # the DR Congo is no small island developing State
    Country.objects.get(code="CD").groups.add(CountryGroup.objects.get(code="sids"))
    assert recommended(need) == [offer.pk]
    Country.objects.get(code="CD").groups.remove(CountryGroup.objects.get(code="sids"))
    assert recommended(need) == []
    assert same_index(built)


def test_a_filled_offer_is_no_longer_recommended(need, party, institute, built):
    offer = hosting_offer(institute, capacity=1)
    another = make_opportunity(party, "request", "We need hosting too", cooperation_type_id="hosting")
    assert recommended(another) == [offer.pk]
    match = Match.objects.create(request=need, offer=offer, initiated_by=party, status=MatchStatus.PROPOSED)
    assert recommended(another) == [offer.pk]  # a proposal takes no capacity
    match.status = MatchStatus.ACCEPTED
    match.save()
    assert recommended(another) == []
    match.status = MatchStatus.CANCELLED
    match.save()
    assert recommended(another) == [offer.pk]
    assert same_index(built)


def test_an_organization_that_moves_country_is_read_again(need, institute, party, built):
    offer = hosting_offer(institute, eligible_countries=["CD", "FJ"])
    assert recommended(need) == [offer.pk]
    party.country_id = "NO"
    party.save()
    assert recommended(need) == []
    assert same_index(built)


def test_a_rolled_back_write_leaves_nothing_behind(need, institute, built):
    with pytest.raises(RuntimeError), transaction.atomic():
        offer = hosting_offer(institute)
        assert recommended(need) == [offer.pk]  # a transaction sees its own writes
        raise RuntimeError("rolled back")
    assert recommended(need) == []
    assert same_index(built)


def test_an_index_built_inside_a_rolled_back_transaction_forgets_its_writes(need, institute):
    with pytest.raises(RuntimeError), transaction.atomic():
        offer = hosting_offer(institute)
        forget()  # built anew, here, from this transaction's own writes
        assert recommended(need) == [offer.pk]
        raise RuntimeError("rolled back")
    with reading() as index:
        assert index.locate(offer.pk) == (None, None)


def test_a_vocabulary_change_builds_the_index_anew(need, built):
    from matchmaking.models import Theme

    theme = Theme.objects.get(slug="taxonomy")
    theme.synonyms = {"en": ["insect names"]}
    theme.save()
    recommended(need)
    assert not same_index(built)


def test_the_index_knows_objectives_as_the_postings_do(need, institute):
    need.objectives.set(Objective.objects.filter(code="3.1"))
    sharing, other = hosting_offer(institute), hosting_offer(institute)
    sharing.objectives.set(Objective.objects.filter(code__in=["3.1", "2.5"]))
    other.objectives.set(Objective.objects.filter(code="2.5"))
    first, second = recommend(Opportunity.objects.get(pk=need.pk))
    assert first["opportunity"] == sharing and first["reasons"]["shared_objectives"] == ["3.1"]
    assert first["score"] > second["score"]


def test_weights_put_in_use_are_used_at_the_next_call_and_nothing_is_rebuilt(need, institute, built):
    hosting_offer(institute)
    assert recommend(need)[0]["reasons"]["weights"]["source"] == "hand-set"
    stored = RankerWeights.objects.create(
        weights={"semantic": 0.9, "lexical": 0.1}, method="test", labels=60, positives=30, score=0.8,
        baseline_score=0.7, baseline={},
    )  # fmt: skip
    assert recommend(need)[0]["reasons"]["weights"]["id"] == stored.pk
    set_weights_in_use(stored, user=None, in_use=False)
    assert recommend(need)[0]["reasons"]["weights"]["source"] == "hand-set"
    assert same_index(built)


def test_a_new_index_reads_stored_terms_and_no_text(need, institute, monkeypatch):
    offer = hosting_offer(institute)
    Opportunity.objects.filter(pk=need.pk).update(terms=None)  # written before terms were stored

    read, text_terms = [], index_module.text_terms
    monkeypatch.setattr(index_module, "text_terms", lambda text: read.append(text) or text_terms(text))
    forget()
    with reading() as index:
        assert offer.pk in index.sides["offer"].slots
    assert len(read) == 1 and read[0].startswith(need.title)  # only the one without stored terms


def test_old_feed_rows_are_pruned(need):
    assert IndexChange.objects.exists()
    IndexChange.objects.update(created_at="2000-01-01T00:00Z")
    prune()
    assert not IndexChange.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_change_is_missed_when_transactions_commit_out_of_order(
    transactional_reference_data, party, institute
):
    """A transaction that started first but commits last wrote rows with a lower transaction id
    than those already read: the feed still reads them."""
    early = hosting_offer(institute, "Early")
    late = hosting_offer(institute, "Late")
    feed = Feed.start()
    feed.read()
    url = database_url(connection.settings_dict["NAME"])
    table = Opportunity._meta.db_table
    with psycopg.connect(url) as first, psycopg.connect(url, autocommit=True) as second:
        first.execute(f"UPDATE {table} SET capacity = 3 WHERE id = %s", [early.pk])  # not committed yet
        second.execute(f"UPDATE {table} SET capacity = 4 WHERE id = %s", [late.pk])
        assert feed.read().opportunities == {late.pk}
        first.commit()
    assert feed.read().opportunities == {early.pk}
    assert not feed.read()  # and nothing twice
