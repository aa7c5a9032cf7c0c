"""The open opportunities of each web process, as arrays: vectors, TF-IDF, profiles, and what the
hard filters need. Rebuilt from the database only when a cheap version check sees that
opportunities, embeddings, matches or organizations changed, so that several web processes stay
consistent with the database and with each other; a rebuild reuses what did not change."""

import threading
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count
from scipy import sparse

from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    Direction,
    EmbeddingStatus,
    Moderation,
    OpportunityStatus,
)
from matchmaking.models import Country, Match, Opportunity, OpportunityEmbedding, Organization
from ml.features import CandidatePool, Profile
from ml.lexical import LexicalIndex

from . import embedding
from .filters import country_tokens, restriction_tokens
from .vocabulary import current_vocabulary

_FAR_FUTURE = 10**7


@dataclass
class Index:
    """The open opportunities as arrays, aligned row by row."""

    version: tuple
    ids: np.ndarray
    position: dict
    is_offer: np.ndarray
    organization: np.ndarray
    ends: np.ndarray
    deadline: np.ndarray
    capacity_left: np.ndarray
    open_to_all: np.ndarray
    restrictions: sparse.csr_matrix  # rows: opportunities; columns: tokens the opportunity admits
    identities: sparse.csr_matrix  # rows: opportunities; columns: tokens of the opportunity's country
    token_index: dict
    tokens: list  # column -> token
    groups_by_country: dict
    vectors: np.ndarray  # one row per opportunity
    has_vector: np.ndarray  # False where an opportunity is not embedded yet (its row is zeros)
    text_languages: np.ndarray  # the language each text is written in ("" when unknown)
    slices: dict  # direction -> the slice of the arrays that holds its opportunities
    pools: dict  # direction -> CandidatePool over that slice (views, not copies)
    lexical: LexicalIndex
    profiles: dict  # id -> ml Profile
    embedded_until: object  # the latest embedding change the vectors include


_lock = threading.Lock()
_index = None


def current_version():
    """A cheap fingerprint of everything the index depends on: one query over indexed columns, and
    the embedding model in use.
    (A deleted opportunity does not change it; `recommend` skips opportunities that no longer exist.)"""
    tables = {
        "opportunity": Opportunity._meta.db_table,
        "embedding": OpportunityEmbedding._meta.db_table,
        "match": Match._meta.db_table,
        "organization": Organization._meta.db_table,
    }
    sql = (
        f"SELECT (SELECT MAX(updated_at) FROM {tables['opportunity']}),"
        f" (SELECT MAX(updated_at) FROM {tables['embedding']}),"
        f" (SELECT MAX(updated_at) FROM {tables['match']}),"
        f" (SELECT MAX(updated_at) FROM {tables['organization']})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return (*cursor.fetchone(), embedding.embedder().name)


def get_index():
    """The index, brought up to date first if the database changed since it was built."""
    global _index
    version = current_version()
    index = _index
    if index is not None and index.version == version:
        return index
    with _lock:
        if _index is None or _index.version != version:
            _index = build_index(version, previous=_index)
        return _index


def profile_of(opportunity):
    """The ml profile of an opportunity instance (for a query that is not in the index)."""
    profile = Profile(
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
    )
    stored = (
        current_embeddings().filter(pk=opportunity.pk).values("detected_types", "detected_themes").first()
    )
    if stored:
        profile.detected_types, profile.detected_themes = stored["detected_types"], stored["detected_themes"]
    return profile


def _pairs(field, value="pk"):
    """Opportunity id -> related keys of one many-to-many field, for every open opportunity: one query."""
    through = getattr(Opportunity, field).through
    target = getattr(Opportunity, field).field.m2m_reverse_field_name()
    column = target if value == "pk" else f"{target}__{value}"
    grouped = {}
    rows = through.objects.filter(
        opportunity__status=OpportunityStatus.OPEN, opportunity__moderation=Moderation.APPROVED
    ).values_list("opportunity_id", column)
    for opportunity_id, key in rows.order_by("pk"):
        grouped.setdefault(opportunity_id, []).append(key)
    return grouped


def _capacity_held():
    held = {}
    holding = Match.objects.filter(status__in=CAPACITY_HOLDING_STATUSES).order_by()
    for side in ("offer_id", "request_id"):
        for opportunity_id, n in holding.values_list(side).annotate(n=Count("id")):
            held[opportunity_id] = held.get(opportunity_id, 0) + n
    return held


def build_index(version, previous=None):
    """Builds the index from the database with a few flat queries. With a `previous` index, the
    text analysis, vectors and TF-IDF rows of unchanged opportunities are reused, so a change to a
    few opportunities costs little; TF-IDF is refitted only when the corpus changed a lot. A change of
    embedding model (the last part of the version) builds everything again."""
    if previous is not None and previous.version[-1] != version[-1]:
        previous = None
    rows = list(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED)
        .order_by("direction", "id")  # offers, then requests: each direction is one slice of the arrays
        .values(
            "id", "direction", "title", "description", "cooperation_type_id", "organization_id",
            "organization__country_id", "starts_on", "ends_on", "application_deadline", "capacity",
            "text_language",
        )
    )  # fmt: skip
    themes, objectives = _pairs("themes"), _pairs("objectives", "code")
    languages, groups, countries = (
        _pairs("languages"),
        _pairs("eligible_groups"),
        _pairs("eligible_countries"),
    )
    held = _capacity_held()
    groups_by_country = {}
    for code, un_group in Country.objects.values_list("code", "un_group"):
        groups_by_country[code] = {un_group} if un_group else set()
    for code, group in Country.groups.through.objects.values_list("country_id", "countrygroup_id"):
        groups_by_country.setdefault(code, set()).add(group)

    vocabulary = current_vocabulary()
    ids = np.array([row["id"] for row in rows], dtype=np.int64)
    vectors, detected = load_embeddings(ids, previous)
    profiles = []
    for row in rows:
        types, themes_read = detected.get(row["id"], ({}, {}))
        profile = Profile(
            id=row["id"],
            direction=row["direction"],
            title=row["title"],
            description=row["description"],
            cooperation_type=row["cooperation_type_id"],
            themes=themes.get(row["id"], []),
            objectives=objectives.get(row["id"], []),
            languages=languages.get(row["id"], []),
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            text_language=row["text_language"],
            detected_types=types,
            detected_themes=themes_read,
        )
        profiles.append(profile)

    restriction_rows = [restriction_tokens(countries.get(pk, ()), groups.get(pk, ())) for pk in ids.tolist()]
    identity_rows = [country_tokens(row["organization__country_id"], groups_by_country) for row in rows]
    token_index = {}
    for token_row in restriction_rows + identity_rows:
        for token in token_row:
            token_index.setdefault(token, len(token_index))

    # Character n-grams help most on small catalogues and cost ten times the word view: above
    # 5,000 open opportunities the lexical view uses words only (bench/bench_matches.py).
    n_offers = sum(1 for row in rows if row["direction"] == Direction.OFFER)
    slices = {Direction.OFFER: slice(0, n_offers), Direction.REQUEST: slice(n_offers, len(rows))}
    lexical = previous.lexical if previous else LexicalIndex(char_max_docs=5_000)
    lexical.update(ids.tolist(), [f"{p.title}. {p.description}" for p in profiles])
    return Index(
        version=version,
        ids=ids,
        position={pk: i for i, pk in enumerate(ids.tolist())},
        is_offer=np.array([row["direction"] == Direction.OFFER for row in rows], dtype=bool),
        organization=np.array([row["organization_id"] for row in rows], dtype=np.int64),
        ends=np.array([_ordinal(row["ends_on"]) for row in rows], dtype=np.int64),
        deadline=np.array([_ordinal(row["application_deadline"]) for row in rows], dtype=np.int64),
        capacity_left=np.array([row["capacity"] - held.get(row["id"], 0) for row in rows], dtype=np.int64),
        open_to_all=np.array([not token_row for token_row in restriction_rows], dtype=bool),
        restrictions=_token_matrix(restriction_rows, token_index),
        identities=_token_matrix(identity_rows, token_index),
        token_index=token_index,
        tokens=list(token_index),
        groups_by_country=groups_by_country,
        vectors=vectors,
        has_vector=vectors.any(axis=1) if vectors.shape[1] else np.zeros(len(rows), dtype=bool),
        text_languages=np.array([row["text_language"] for row in rows], dtype=object),
        slices=slices,
        pools={
            direction: _pool(
                profiles[part], vectors[part], vocabulary, previous and previous.pools.get(direction)
            )
            for direction, part in slices.items()
        },
        lexical=lexical,
        profiles={p.id: p for p in profiles},
        embedded_until=version[1],
    )


def _pool(profiles, vectors, vocabulary, previous):
    """The candidate pool of one direction; the previous one when none of its opportunities changed
    (a new request leaves the offers' pool as it was), as building one is the costly step."""
    if previous is not None and previous.profiles == profiles and np.array_equal(previous.matrix, vectors):
        previous.matrix = vectors  # same values; let the old vector array go
        return previous
    return CandidatePool(profiles, vectors, vocabulary, config=embedding.feature_config())


def _ordinal(day):
    return day.toordinal() if day else _FAR_FUTURE


def _token_matrix(rows, token_index):
    data, indices, indptr = [], [], [0]
    for row in rows:
        for token in row:
            indices.append(token_index[token])
            data.append(1.0)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (data, indices, indptr), shape=(len(rows), max(len(token_index), 1)), dtype=np.float32
    )


def current_embeddings():
    """The stored embeddings that ranking may use: ready, and made by the model in use (after a change
    of model, opportunities count as not embedded until `manage.py embed_opportunities` ran)."""
    return OpportunityEmbedding.objects.filter(
        status=EmbeddingStatus.READY, model_name=embedding.embedder().name
    )


def load_embeddings(ids, previous=None):
    """(the stored vectors of the given opportunities as one matrix, zeros where missing; id ->
    (types, themes) read from their texts). With a `previous` index, only what it lacks or what
    changed since it was built is read."""
    reuse = previous is not None and previous.vectors.shape[1] > 0
    fields = ("opportunity_id", "vector", "detected_types", "detected_themes")
    embeddings = current_embeddings()
    if reuse:
        missing = [int(pk) for pk in ids if int(pk) not in previous.position]
        changed = (
            embeddings.filter(updated_at__gte=previous.embedded_until)
            if previous.embedded_until
            else embeddings
        )
        rows = {row[0]: row for row in changed.values_list(*fields)}
        rows.update(
            {row[0]: row for row in embeddings.filter(opportunity_id__in=missing).values_list(*fields)}
        )
        dim = previous.vectors.shape[1]
    else:
        rows = {
            row[0]: row
            for row in embeddings.filter(opportunity_id__in=[int(i) for i in ids]).values_list(*fields)
        }
        dim = next((len(bytes(row[1])) // 4 for row in rows.values() if row[1]), 0)
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    detected = {}
    for i, pk in enumerate(ids.tolist()):
        row = rows.get(pk)
        if row and row[1] and len(bytes(row[1])) == dim * 4:
            matrix[i] = np.frombuffer(bytes(row[1]), dtype=np.float32)
            detected[pk] = (row[2] or {}, row[3] or {})
        elif reuse and pk in previous.position:
            matrix[i] = previous.vectors[previous.position[pk]]
            old = previous.profiles[pk]
            detected[pk] = (old.detected_types, old.detected_themes)
    return matrix, detected
