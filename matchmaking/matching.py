"""Recommends matches for a posting: hard filters first, then the blend of ml/ranking.

The open postings live in an in-process index (vectors, TF-IDF, structured features and the
arrays the hard filters need), rebuilt from the database only when a cheap version check
sees that postings, embeddings, matches or organizations changed, so several web processes
stay consistent with the database and with each other.
"""

import threading
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import prefetch_related_objects
from django.utils import timezone
from scipy import sparse

from matchmaking.choices import Direction, EmbeddingStatus, OpportunityStatus
from matchmaking.models import (
    CooperationType,
    Country,
    Match,
    Opportunity,
    OpportunityEmbedding,
    Organization,
    Theme,
)
from ml.lexical import LexicalIndex
from ml.ranking import CandidatePool, Posting, Weights, analyse, rank

_FAR_FUTURE = 10**7


def candidates_for(query, today=None):
    """The postings that may ever be recommended for `query`, as a queryset: open, of the other
    direction, not expired nor past their deadline, of another organization, with capacity left,
    and eligible (the requesting organization's country must be eligible for the offer).
    The in-process index applies the same rules with arrays; a test keeps the two in agreement."""
    today = today or timezone.localdate()
    other = Direction.OFFER if query.direction == Direction.REQUEST else Direction.REQUEST
    pool = (
        Opportunity.objects.live(today)
        .filter(direction=other)
        .exclude(organization_id=query.organization_id)
        .with_capacity_left()
    )
    if query.direction == Direction.REQUEST:
        return pool.eligible_for(query.organization.country_id)
    countries = set(query.eligible_countries.values_list("code", flat=True))
    groups = set(query.eligible_groups.values_list("code", flat=True))
    if countries or groups:
        eligible = Country.objects.filter(code__in=countries) | Country.objects.filter(
            groups__code__in=groups
        )
        eligible = eligible | Country.objects.filter(un_group__in=groups)
        pool = pool.filter(organization__country__in=eligible.values("code"))
    return pool


def country_tokens(country_code, groups_by_country):
    """The eligibility tokens a country carries: itself and every group it belongs to."""
    return {f"C:{country_code}", *(f"G:{g}" for g in groups_by_country.get(country_code, ()))}


def restriction_tokens(countries, groups):
    return {*(f"C:{c}" for c in countries), *(f"G:{g}" for g in groups)}


@dataclass
class Index:
    """The open postings as arrays, aligned row by row."""

    version: tuple
    ids: np.ndarray
    position: dict
    is_offer: np.ndarray
    organization: np.ndarray
    ends: np.ndarray
    deadline: np.ndarray
    capacity_left: np.ndarray
    open_to_all: np.ndarray
    restrictions: sparse.csr_matrix  # rows: postings; columns: tokens the posting admits
    identities: sparse.csr_matrix  # rows: postings; columns: tokens of the posting's country
    token_index: dict
    groups_by_country: dict
    pool: CandidatePool
    lexical: LexicalIndex
    postings: dict  # id -> ml Posting


_lock = threading.Lock()
_index = None


def current_version():
    """A cheap fingerprint of everything the index depends on (one query)."""
    tables = {
        "opportunity": Opportunity._meta.db_table,
        "embedding": OpportunityEmbedding._meta.db_table,
        "match": Match._meta.db_table,
        "organization": Organization._meta.db_table,
    }
    sql = (
        f"SELECT (SELECT MAX(updated_at) FROM {tables['opportunity']}),"
        f" (SELECT COUNT(*) FROM {tables['opportunity']}),"
        f" (SELECT MAX(updated_at) FROM {tables['embedding']}),"
        f" (SELECT MAX(updated_at) FROM {tables['match']}),"
        f" (SELECT MAX(updated_at) FROM {tables['organization']})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def get_index():
    """The index, rebuilt first if the database changed since it was built."""
    global _index
    version = current_version()
    index = _index
    if index is not None and index.version == version:
        return index
    with _lock:
        if _index is None or _index.version != version:
            _index = build_index(version)
        return _index


def vocabulary_synonyms():
    """Synonyms of the cooperation types and themes, all languages together, from the database."""

    def flatten(model):
        return {
            term.slug: sorted({s for words in (term.synonyms or {}).values() for s in words})
            for term in model.objects.all()
        }

    return flatten(CooperationType), flatten(Theme)


def to_posting(opportunity, type_synonyms, theme_synonyms):
    posting = Posting(
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
    )
    return analyse(posting, type_synonyms, theme_synonyms)


def build_index(version):
    opportunities = list(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN)
        .with_capacity_held()
        .select_related("organization")
        .prefetch_related("themes", "objectives", "languages", "eligible_groups", "eligible_countries")
        .order_by("id")
    )
    type_synonyms, theme_synonyms = vocabulary_synonyms()
    groups_by_country = {}
    for code, un_group in Country.objects.values_list("code", "un_group"):
        groups_by_country[code] = {un_group} if un_group else set()
    for code, group in Country.groups.through.objects.values_list("country_id", "countrygroup_id"):
        groups_by_country.setdefault(code, set()).add(group)

    postings = [to_posting(o, type_synonyms, theme_synonyms) for o in opportunities]
    ids = np.array([o.pk for o in opportunities], dtype=np.int64)
    vectors = load_vectors(ids)

    token_index = {}
    restriction_rows, identity_rows = [], []
    for o in opportunities:
        restriction_rows.append(
            restriction_tokens(
                [c.pk for c in o.eligible_countries.all()], [g.pk for g in o.eligible_groups.all()]
            )
        )
        identity_rows.append(country_tokens(o.organization.country_id, groups_by_country))
    for row in restriction_rows + identity_rows:
        for token in row:
            token_index.setdefault(token, len(token_index))

    lexical = LexicalIndex()
    lexical.fit(list(ids), [f"{p.title}. {p.description}" for p in postings])
    return Index(
        version=version,
        ids=ids,
        position={int(pk): i for i, pk in enumerate(ids)},
        is_offer=np.array([o.direction == Direction.OFFER for o in opportunities], dtype=bool),
        organization=np.array([o.organization_id for o in opportunities], dtype=np.int64),
        ends=np.array([_ordinal(o.ends_on) for o in opportunities], dtype=np.int64),
        deadline=np.array([_ordinal(o.application_deadline) for o in opportunities], dtype=np.int64),
        capacity_left=np.array([o.capacity - o.capacity_held for o in opportunities], dtype=np.int64),
        open_to_all=np.array([not row for row in restriction_rows], dtype=bool),
        restrictions=_token_matrix(restriction_rows, token_index),
        identities=_token_matrix(identity_rows, token_index),
        token_index=token_index,
        groups_by_country=groups_by_country,
        pool=CandidatePool(postings, vectors),
        lexical=lexical,
        postings={p.id: p for p in postings},
    )


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


def load_vectors(ids):
    """The stored vectors of the given postings (zeros where missing), as one matrix."""
    rows = dict(
        OpportunityEmbedding.objects.filter(
            opportunity_id__in=[int(i) for i in ids], status=EmbeddingStatus.READY
        ).values_list("opportunity_id", "vector")
    )
    dim = next((len(bytes(v)) // 4 for v in rows.values() if v), 0)
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    for i, pk in enumerate(ids):
        vector = rows.get(int(pk))
        if vector:
            matrix[i] = np.frombuffer(bytes(vector), dtype=np.float32)
    return matrix


def hard_filter_mask(index, query, today):
    """Which rows of the index may be recommended for `query` (the rules of `candidates_for`)."""
    today_ordinal = today.toordinal()
    mask = (
        (index.is_offer == (query.direction == Direction.REQUEST))
        & (index.organization != query.organization_id)
        & (index.ends >= today_ordinal)
        & (index.deadline >= today_ordinal)
        & (index.capacity_left > 0)
    )
    if query.direction == Direction.REQUEST:
        tokens = country_tokens(query.organization.country_id, index.groups_by_country)
        eligible = index.open_to_all | _has_any(index.restrictions, tokens, index.token_index)
    else:
        tokens = restriction_tokens(
            [c.pk for c in query.eligible_countries.all()], [g.pk for g in query.eligible_groups.all()]
        )
        eligible = _has_any(index.identities, tokens, index.token_index) if tokens else True
    return mask & eligible


def _has_any(matrix, tokens, token_index):
    columns = [token_index[t] for t in tokens if t in token_index]
    if not columns:
        return np.zeros(matrix.shape[0], dtype=bool)
    return np.asarray(matrix[:, columns].sum(axis=1)).ravel() > 0


def query_vector(query, index):
    """The query's vector: from the index, else from the database, else embedded now (once)."""
    position = index.position.get(query.pk)
    if position is not None and index.pool.matrix.shape[1] and index.pool.matrix[position].any():
        return index.pool.matrix[position]
    stored = OpportunityEmbedding.objects.filter(pk=query.pk, status=EmbeddingStatus.READY).first()
    if stored is None or not stored.vector:
        from matchmaking.services import embed_opportunities

        embed_opportunities([query.pk])
        stored = OpportunityEmbedding.objects.filter(pk=query.pk, status=EmbeddingStatus.READY).first()
    if stored is None or not stored.vector:
        return None
    return np.frombuffer(bytes(stored.vector), dtype=np.float32)


def current_weights():
    """The blend's weights in use: hand-set in ml/ranking.py until learned ones are stored."""
    return Weights()


def recommend(query, limit=10, today=None):
    """Returns up to `limit` dicts {"opportunity", "score", "reasons"}, best first."""
    today = today or timezone.localdate()
    prefetch_related_objects([query], "eligible_countries", "eligible_groups")
    index = get_index()
    mask = hard_filter_mask(index, query, today)
    if not mask.any():
        return []
    if query.pk in index.postings:
        posting = index.postings[query.pk]
    else:
        posting = to_posting(query, *vocabulary_synonyms())
    vector = query_vector(query, index)
    lexical = index.lexical.score(f"{posting.title}. {posting.description}")
    results = rank(
        posting,
        index.pool,
        query_vector=vector,
        lexical_scores=lexical,
        weights=current_weights(),
        limit=limit,
        lexical_index=index.lexical,
        mask=mask,
    )
    found = Opportunity.objects.select_related("organization", "cooperation_type").in_bulk(
        [r.id for r in results]
    )
    out = []
    for result in results:
        opportunity = found.get(result.id)
        if opportunity is None:  # deleted since the index was built
            continue
        reasons = dict(result.reasons)
        reasons["eligibility"] = eligibility_basis(query, opportunity, index)
        out.append({"opportunity": opportunity, "score": result.score, "reasons": reasons})
    return out


def eligibility_basis(query, candidate, index):
    """Why the requesting side may take up the offer, in words: "CD is in group ldc"."""
    request, offer = (query, candidate) if query.direction == Direction.REQUEST else (candidate, query)
    country = request.organization.country_id
    row = index.position.get(offer.pk)
    if offer is query or row is None:
        admitted = restriction_tokens(
            [c.pk for c in offer.eligible_countries.all()], [g.pk for g in offer.eligible_groups.all()]
        )
    else:
        columns = index.restrictions[row].indices
        admitted = {token for token, column in index.token_index.items() if column in columns}
    if not admitted:
        return "The offer is open to every country."
    if f"C:{country}" in admitted:
        return f"{country} is listed among the eligible countries."
    groups = sorted(g for g in index.groups_by_country.get(country, ()) if f"G:{g}" in admitted)
    return f"{country} is in group {', '.join(groups)}."
