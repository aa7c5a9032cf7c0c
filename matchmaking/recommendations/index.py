"""The open opportunities of each process as arrays, one side per direction, kept in step with the
database through the change feed (`feed.py`).

A process builds its index once, from what was stored with each opportunity when it was written
(its vector, its terms, the types and themes read from its text): a few bulk queries streamed into
contiguous arrays, no text read again. After that each call reads the feed (one query) and reads
again only the opportunities a change touched, writing their rows in place; an index that would
need to read more than a fifth of itself again is built anew. Nothing here decides a recommendation
on its own: every process, on every host, reads the same database and the same feed.

The arrays are read and written under one lock per process (`reading`)."""

import logging
import threading
from contextlib import contextmanager
from itertools import islice
from typing import NamedTuple

import numpy as np
from django.db.models import CharField, Count, Value

from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    Direction,
    EmbeddingStatus,
    Moderation,
    OpportunityStatus,
)
from matchmaking.models import Country, Match, Opportunity, OpportunityEmbedding
from ml.embeddings import opportunity_text
from ml.features import CandidatePool, Profile
from ml.lexical import LexicalIndex, pack_terms, text_terms, unpack_terms
from ml.rows import Rows, Slots

from . import embedding
from .feed import Feed
from .filters import restriction_tokens
from .reasons import TermLabels
from .vocabulary import current_vocabulary
from .weights import weights_in_use

logger = logging.getLogger(__name__)


class Stored(NamedTuple):
    profile: Profile  # without title and description
    vector: np.ndarray | None  # a view of the index's matrix: not to be written
    lists: dict  # many-to-many field -> the keys of its rows, as the API lists them


SIDES = (Direction.OFFER, Direction.REQUEST)
CHUNK = 2_000  # rows streamed from the database at a time
REBUILD_SHARE = 0.2  # more changed opportunities than this share of the index: build it anew
_FAR_FUTURE = 10**7
_MANY_TO_MANY = ("themes", "objectives", "languages", "eligible_groups", "eligible_countries")
# The structured needs that ranking compares: fields of the model and of `ml.features.Profile` alike.
RANKED_NEEDS = (
    "budget_min",
    "budget_max",
    "budget_currency",
    "level",
    "duration_months",
    "expected_outputs",
    "covers",
)


def terms_for(title, description):
    """The stored form of a text's terms (`Opportunity.terms`), as the lexical view reads them."""
    return pack_terms(text_terms(opportunity_text(title, description)))


class Side:
    """The open opportunities of one direction: their ranking features (`pool`) and what the hard
    filters need (`rows`), at the same positions."""

    def __init__(self, direction, vocabulary, config):
        self.direction = direction
        self.slots = Slots()
        self.pool = CandidatePool(vocabulary, config)
        self.rows = Rows()
        self.rows.add("id", np.int64)
        self.rows.add("lexical", np.int64)  # its position in Index.lexical
        self.rows.add("organization", np.int64)
        self.rows.add("country", np.int32, fill=-1)
        self.rows.add("ends", np.int64, fill=_FAR_FUTURE)
        self.rows.add("deadline", np.int64, fill=_FAR_FUTURE)
        self.rows.add("capacity_left", np.int64)
        self.rows.add("open_to_all", bool, fill=True)
        self.rows.add("restrictions", bool, width=0, fill=False)  # columns: Index.tokens
        self.rows.add("has_vector", bool, fill=False)
        # What a recommendation shows of each candidate besides its own row: its profile (without
        # its text) and the keys of its many-to-many fields, in the order the API lists them.
        self.rows.add("profile", object, fill=None)
        self.rows.add("lists", object, fill=None)

    def __len__(self):
        return len(self.slots)

    @property
    def alive(self):
        return self.pool.alive

    def remove(self, opportunity_id):
        position = self.slots.release(opportunity_id)
        if position is not None:
            self.pool.drop([position])
            self.rows.reset([position])


class Index:
    """Both sides; the terms of every text in one lexical index (the weight of a word is its rarity
    among offers and requests together: measured better than per direction, see docs/matching.md);
    and what eligibility reads: the countries and their groups."""

    def __init__(self, model_name, vocabulary, config):
        self.model_name = model_name
        self.vocabulary = vocabulary
        self.sides = {direction: Side(direction, vocabulary, config) for direction in SIDES}
        self.lexical = LexicalIndex()
        self.lexical_slots = Slots()
        self.countries = {}  # code -> the number `Side.rows["country"]` holds
        self.groups_by_country = {}
        self.token_index = {}  # eligibility token -> column of `Side.rows["restrictions"]`
        self.tokens = []
        self.feed = None
        self.list_order = {}  # many-to-many field -> key -> its rank in the related model's ordering
        self.labels = None  # the types' and themes' labels for the reasons (the vocabulary is fixed)
        self._weights = None

    def weights(self):
        """`weights_in_use()`, read again when the feed says the stored weights changed."""
        if self._weights is None:
            self._weights = weights_in_use()
        return self._weights

    def __len__(self):
        return sum(len(side) for side in self.sides.values())

    def lexical_scores(self, side, terms):
        """The lexical similarity of `terms` (`ml.lexical.text_terms`) to every position of a side."""
        return self.lexical.score(terms)[side.rows["lexical"]]

    def remove(self, opportunity_id):
        for side in self.sides.values():
            side.remove(opportunity_id)
        position = self.lexical_slots.release(opportunity_id)
        if position is not None:
            self.lexical.clear([position])

    def locate(self, opportunity_id):
        """(side, position) of an opportunity in the index, or (None, None)."""
        for side in self.sides.values():
            position = side.slots.position.get(opportunity_id)
            if position is not None:
                return side, position
        return None, None

    def stored(self, opportunity_id):
        """What the index holds of an open opportunity, as `Stored`, or None when it holds nothing:
        as read from the database at the last change of the opportunity, so the same as reading it
        again, without the queries."""
        side, position = self.locate(opportunity_id)
        if position is None:
            return None
        vector = side.pool.rows["matrix"][position] if side.rows["has_vector"][position] else None
        return Stored(side.rows["profile"][position], vector, side.rows["lists"][position])

    # ------------------------------------------------------------------------------- reading in

    def build(self):
        """Reads every open opportunity (the feed's position is taken first, so nothing written
        meanwhile is missed)."""
        self.feed = Feed.start()
        self.labels = TermLabels()
        self.list_order = {
            name: {key: rank for rank, key in enumerate(_related_keys(name))} for name in _MANY_TO_MANY
        }
        self.read_countries()
        counts = dict(_open(None).order_by().values_list("direction").annotate(n=Count("id")))
        for direction, side in self.sides.items():  # room for all at once, not by doubling
            side.rows.reserve(counts.get(direction, 0))
            side.pool.rows.reserve(counts.get(direction, 0))
        self.read(None)
        return self

    def update(self):
        """Applies what the feed reports since the last call; False when the index must be built
        anew instead (too much changed, or the vocabulary)."""
        if self.feed.idle_too_long:
            return False
        changes = self.feed.read()
        if changes.everything:
            return False
        if changes.weights:
            self._weights = None
        ids = set(changes.opportunities)
        if changes.organizations:
            ids |= set(
                Opportunity.objects.filter(organization_id__in=changes.organizations).values_list(
                    "pk", flat=True
                )
            )
        if len(ids) > max(REBUILD_SHARE * len(self), 1_000):
            return False
        if changes.countries:
            self.read_countries()
        if ids:
            self.read(ids)
        return True

    def read_countries(self):
        groups = {}
        for code, un_group in Country.objects.values_list("code", "un_group"):
            groups[code] = {un_group} if un_group else set()
            self.countries.setdefault(code, len(self.countries))
        for code, group in Country.groups.through.objects.values_list("country_id", "countrygroup_id"):
            groups.setdefault(code, set()).add(group)
        self.groups_by_country = groups

    def read(self, ids):
        """Reads the given opportunities (all open ones when None) into their side; those of `ids` no
        longer open, approved or existing leave the index."""
        pairs = _pairs(ids)
        for name, grouped in pairs.items():  # each list in the related model's ordering
            order = self.list_order.get(name, {})
            for keys in grouped.values():
                if len(keys) > 1:
                    keys.sort(key=lambda key: (order.get(key, len(order)), key))
        held = _capacity_held(ids)
        found, without_terms = set(), []
        rows = (
            _open(ids)
            .order_by("id")
            .values_list(
                "id", "direction", "cooperation_type_id", "organization_id", "organization__country_id",
                "starts_on", "ends_on", "application_deadline", "capacity", "text_language", "terms",
                "embedding__status", "embedding__model_name", "embedding__vector",
                "embedding__detected_types", "embedding__detected_themes", *RANKED_NEEDS,
            )
        )  # fmt: skip
        # all of them through a server-side cursor, in chunks; a few in one round trip
        rows = rows.iterator(chunk_size=CHUNK) if ids is None else iter(list(rows))
        while chunk := list(islice(rows, CHUNK)):
            for direction in SIDES:
                mine = [row for row in chunk if row[1] == direction]
                if mine:
                    without_terms += self._write(self.sides[direction], mine, pairs, held)
            found.update(row[0] for row in chunk)
        if without_terms:  # written before terms were stored with the text
            texts = Opportunity.objects.filter(pk__in=without_terms).values_list("pk", "title", "description")
            for pk, title, description in texts:
                position = self.lexical_slots.place(pk)
                self.lexical.set(
                    [position], [text_terms(opportunity_text(title, description))], merge_when_due=False
                )
        for pk in set(ids or ()) - found:
            self.remove(pk)
        if ids is None or self.lexical.needs_merge:  # a build merges once, at the end
            self.lexical.merge()

    def _write(self, side, rows, pairs, held):
        """Writes rows of `read` into a side; returns the ids that have no stored terms."""
        other = self.sides[Direction.REQUEST if side.direction == Direction.OFFER else Direction.OFFER]
        for row in rows:  # an opportunity never changes direction, but be sure
            other.remove(row[0])
        positions = [side.slots.place(row[0]) for row in rows]
        lexical_positions = [self.lexical_slots.place(row[0]) for row in rows]
        profiles, vectors, with_vector, terms, restrictions, without_terms = [], [], [], [], [], []
        lists = []
        for position, row in zip(positions, rows, strict=True):
            (pk, direction, cooperation_type, _, _, starts_on, ends_on, _, _, text_language, stored_terms,
             status, model_name, vector, detected_types, detected_themes, *needs) = row  # fmt: skip
            current = status == EmbeddingStatus.READY and model_name == self.model_name and vector
            keys = {name: pairs[name].get(pk, []) for name in _MANY_TO_MANY}
            lists.append(keys)
            profiles.append(
                Profile(
                    id=pk,
                    direction=direction,
                    title="",
                    description="",
                    cooperation_type=cooperation_type,
                    themes=keys["themes"],
                    objectives=keys["objectives"],
                    languages=keys["languages"],
                    starts_on=starts_on,
                    ends_on=ends_on,
                    text_language=text_language,
                    detected_types=(detected_types or {}) if current else {},
                    detected_themes=(detected_themes or {}) if current else {},
                    **dict(zip(RANKED_NEEDS, needs, strict=True)),
                )
            )
            if current:
                with_vector.append(position)
                vectors.append(np.frombuffer(bytes(vector), dtype=np.float32))
            if stored_terms:
                terms.append(unpack_terms(bytes(stored_terms)))
            else:
                without_terms.append(pk)
            restrictions.append(
                restriction_tokens(
                    pairs["eligible_countries"].get(pk, ()), pairs["eligible_groups"].get(pk, ())
                )
            )
        side.pool.put(positions, profiles)
        if vectors:
            side.pool.set_vectors(with_vector, np.vstack(vectors))
        self.lexical.clear(lexical_positions)
        with_terms = [p for p, row in zip(lexical_positions, rows, strict=True) if row[10]]
        self.lexical.set(with_terms, terms, merge_when_due=False)
        self.lexical.grow(self.lexical_slots.size)
        self._write_rows(side, positions, rows, held, restrictions, with_vector)
        at = np.asarray(positions, dtype=np.int64)
        side.rows.full("lexical")[at] = lexical_positions
        side.rows.full("profile")[at] = _objects(profiles)
        side.rows.full("lists")[at] = _objects(lists)
        return without_terms

    def _write_rows(self, side, positions, rows, held, restrictions, with_vector):
        for tokens in restrictions:
            for token in tokens:
                if token not in self.token_index:
                    self.token_index[token] = len(self.tokens)
                    self.tokens.append(token)
        side.rows.grow(side.slots.size)
        side.rows.widen("restrictions", len(self.tokens))
        side.rows.reset(positions)
        at = np.asarray(positions, dtype=np.int64)
        full = side.rows.full
        full("id")[at] = [row[0] for row in rows]
        full("organization")[at] = [row[3] for row in rows]
        full("country")[at] = [self.countries.setdefault(row[4], len(self.countries)) for row in rows]
        full("ends")[at] = [_ordinal(row[6]) for row in rows]
        full("deadline")[at] = [_ordinal(row[7]) for row in rows]
        full("capacity_left")[at] = [row[8] - held.get(row[0], 0) for row in rows]
        full("open_to_all")[at] = [not tokens for tokens in restrictions]
        full("has_vector")[np.asarray(with_vector, dtype=np.int64)] = True
        matrix = full("restrictions")
        for position, tokens in zip(positions, restrictions, strict=True):
            for token in tokens:
                matrix[position, self.token_index[token]] = True


def _open(ids):
    opportunities = Opportunity.objects.filter(status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED)
    return opportunities if ids is None else opportunities.filter(pk__in=list(ids))


def _pairs(ids):
    """Field name -> opportunity id -> related keys, for each many-to-many field, of the open
    opportunities (or the given ones): one query."""
    queries = []
    for field in _MANY_TO_MANY:
        through = getattr(Opportunity, field).through
        target = getattr(Opportunity, field).field.m2m_reverse_field_name()
        if field == "objectives":
            target += (
                "__code"  # ranking knows objectives by code ("1.1", "GBF-TARGET-20"), as profiles_of does
            )
        rows = through.objects.filter(
            opportunity__status=OpportunityStatus.OPEN, opportunity__moderation=Moderation.APPROVED
        )
        if ids is not None:
            rows = rows.filter(opportunity_id__in=list(ids))
        rows = rows.annotate(field=Value(field, output_field=CharField())).order_by()
        queries.append(rows.values_list("field", "opportunity_id", target))
    grouped = {field: {} for field in _MANY_TO_MANY}
    for field, opportunity_id, key in queries[0].union(*queries[1:], all=True):
        grouped[field].setdefault(opportunity_id, []).append(key)
    return grouped


def _related_keys(field):
    """The keys of a many-to-many field's related rows, in the related model's ordering (objectives
    by code, as everywhere in ranking)."""
    related = getattr(Opportunity, field).field.related_model
    return related.objects.values_list("code" if field == "objectives" else "pk", flat=True)


def _objects(values):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _capacity_held(ids):
    """Opportunity id -> how many matches hold its capacity (of the given ones, or all): one query."""
    holding = Match.objects.filter(status__in=CAPACITY_HOLDING_STATUSES).order_by()
    queries = [
        (holding if ids is None else holding.filter(**{f"{side}__in": list(ids)}))
        .values_list(side)
        .annotate(n=Count("id"))
        .values_list(side, "n")
        for side in ("offer_id", "request_id")
    ]
    held = {}
    for opportunity_id, n in queries[0].union(queries[1], all=True):
        held[opportunity_id] = held.get(opportunity_id, 0) + n
    return held


def _ordinal(day):
    return day.toordinal() if day else _FAR_FUTURE


# ----------------------------------------------------------------------------------- the process's

_lock = threading.Lock()
_index = None


def _up_to_date():
    global _index
    model_name = embedding.embedder().name
    if _index is None or _index.model_name != model_name or not _index.update():
        _index = None  # let the old arrays go before the new ones are read
        _index = Index(model_name, current_vocabulary(), embedding.feature_config()).build()
    return _index


@contextmanager
def reading():
    """The process's index, up to date with the database, held for the caller alone."""
    with _lock:
        yield _up_to_date()


def warm():
    """Builds the index, loads the embedding model and the language identifier and embeds the
    vocabulary's phrases now: a process about to serve calls it, so that its first matches call, its
    first text search and the first posting it embeds are as fast as the others. A failure (the
    database not reachable yet) is logged, and the first call builds instead."""
    try:
        with reading():
            pass
        embedding.read_terms(embedding.embedder().encode(["warm"]))  # the model, and the terms' phrases
        embedding.text_language("warm", "")  # search tells the language of what it is asked
    except Exception:  # noqa: BLE001 - serving must start anyway
        logger.exception("Could not warm the recommendation index")


def forget():
    """Drops the process's index: the next call builds it anew."""
    global _index
    with _lock:
        _index = None


# ----------------------------------------------------------------------------------- single opportunities


def current_embeddings():
    """The stored embeddings that ranking may use: ready, and made by the model in use (after a change
    of model, opportunities count as not embedded until `manage.py embed_opportunities` ran)."""
    return OpportunityEmbedding.objects.filter(
        status=EmbeddingStatus.READY, model_name=embedding.embedder().name
    )


def profiles_of(opportunities, detected=None):
    """id -> the ml profile of each opportunity instance (its many-to-many fields prefetched or not),
    with what was read from its text (`detected`: id -> (types, themes), read when not given)."""
    opportunities = list(opportunities)
    if detected is None:
        detected = {
            pk: (types, themes)
            for pk, types, themes in current_embeddings()
            .filter(pk__in=[o.pk for o in opportunities])
            .values_list("pk", "detected_types", "detected_themes")
        }
    profiles = {}
    for opportunity in opportunities:
        types, themes = detected.get(opportunity.pk, ({}, {}))
        profiles[opportunity.pk] = Profile(
            id=opportunity.pk,
            direction=opportunity.direction,
            title=opportunity.title,
            description=opportunity.description,
            cooperation_type=opportunity.cooperation_type_id,
            themes=[t.pk for t in opportunity.themes.all()],
            objectives=[o.code for o in opportunity.objectives.all()],
            languages=[lang.pk for lang in opportunity.languages.all()],
            starts_on=opportunity.starts_on,
            ends_on=opportunity.ends_on,
            text_language=opportunity.text_language,
            detected_types=types or {},
            detected_themes=themes or {},
            **{name: getattr(opportunity, name) for name in RANKED_NEEDS},
        )
    return profiles


def profile_and_vector(opportunity):
    """The ml profile of one opportunity instance and its stored vector (None when it has none), in
    one query."""
    stored = (
        current_embeddings()
        .filter(pk=opportunity.pk)
        .values_list("vector", "detected_types", "detected_themes")
    )
    vector, types, themes = stored.first() or (None, {}, {})
    profile = profiles_of([opportunity], detected={opportunity.pk: (types, themes)})[opportunity.pk]
    if vector:
        vector = np.frombuffer(bytes(vector), dtype=np.float32)
    return profile, vector if vector is not None and len(vector) and vector.any() else None


def stored_vectors(ids):
    """The stored vectors of the given opportunities as one matrix, aligned with `ids` (zeros where
    there is none, and no columns when none has one)."""
    ids = [int(pk) for pk in ids]
    found = dict(current_embeddings().filter(pk__in=ids).values_list("pk", "vector"))
    dim = next((len(bytes(v)) // 4 for v in found.values() if v), 0)
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    for i, pk in enumerate(ids):
        vector = found.get(pk)
        if vector and len(bytes(vector)) == dim * 4:
            matrix[i] = np.frombuffer(bytes(vector), dtype=np.float32)
    return matrix


def query_terms(opportunity):
    """The terms of an opportunity's text, as stored (read from the text when they were not)."""
    if opportunity.terms:
        return unpack_terms(bytes(opportunity.terms))
    return text_terms(opportunity_text(opportunity.title, opportunity.description))
