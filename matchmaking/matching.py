"""Recommends matches for a posting: hard filters first, then the blend of ml/ranking.

The open postings live in an in-process index (vectors, TF-IDF, structured features and the
arrays the hard filters need), rebuilt from the database only when a cheap version check
sees that postings, embeddings, matches or organizations changed, so several web processes
stay consistent with the database and with each other.
"""

import threading
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, prefetch_related_objects
from django.utils import timezone
from scipy import sparse

from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    Direction,
    EmbeddingStatus,
    Moderation,
    OpportunityStatus,
)
from matchmaking.models import (
    CooperationType,
    Country,
    Match,
    Opportunity,
    OpportunityEmbedding,
    Organization,
    RankerWeights,
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
    tokens: list  # column -> token
    groups_by_country: dict
    vectors: np.ndarray  # one row per posting
    has_vector: np.ndarray  # False where a posting is not embedded yet (its row is zeros)
    slices: dict  # direction -> the slice of the arrays that holds its postings
    pools: dict  # direction -> CandidatePool over that slice (views, not copies)
    lexical: LexicalIndex
    postings: dict  # id -> ml Posting
    embedded_until: object  # the latest embedding change the vectors include


_lock = threading.Lock()
_index = None


def current_version():
    """A cheap fingerprint of everything the index depends on: one query over indexed columns.
    (A deleted posting does not change it; `recommend` skips postings that no longer exist.)"""
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
        return tuple(cursor.fetchone())


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


def vocabulary_synonyms():
    """Synonyms of the cooperation types and themes, all languages together, from the database."""

    def flatten(model):
        return {
            term.slug: sorted({s for words in (term.synonyms or {}).values() for s in words})
            for term in model.objects.all()
        }

    return flatten(CooperationType), flatten(Theme)


def to_posting(opportunity, type_synonyms, theme_synonyms):
    """The ml view of a posting instance (used for a query that is not in the index)."""
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


def _pairs(field, value="pk"):
    """Posting id -> related keys of one many-to-many field, for every open posting: one query."""
    through = getattr(Opportunity, field).through
    target = getattr(Opportunity, field).field.m2m_reverse_field_name()
    column = target if value == "pk" else f"{target}__{value}"
    grouped = {}
    rows = through.objects.filter(
        opportunity__status=OpportunityStatus.OPEN, opportunity__moderation=Moderation.APPROVED
    ).values_list("opportunity_id", column)
    for posting_id, key in rows.order_by("pk"):
        grouped.setdefault(posting_id, []).append(key)
    return grouped


def _capacity_held():
    held = {}
    holding = Match.objects.filter(status__in=CAPACITY_HOLDING_STATUSES).order_by()
    for side in ("offer_id", "request_id"):
        for posting_id, n in holding.values_list(side).annotate(n=Count("id")):
            held[posting_id] = held.get(posting_id, 0) + n
    return held


def build_index(version, previous=None):
    """Builds the index from the database with a few flat queries. With a `previous` index, the
    text analysis, vectors and TF-IDF rows of unchanged postings are reused, so a change to a
    few postings costs little; TF-IDF is refitted only when the corpus changed a lot."""
    rows = list(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED)
        .order_by("direction", "id")  # offers, then requests: each direction is one slice of the arrays
        .values(
            "id", "direction", "title", "description", "cooperation_type_id", "organization_id",
            "organization__country_id", "starts_on", "ends_on", "application_deadline", "capacity",
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

    synonyms = vocabulary_synonyms()
    known = previous.postings if previous else {}
    postings = []
    for row in rows:
        posting = Posting(
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
        )
        old = known.get(row["id"])
        if old is not None and (old.title, old.description) == (posting.title, posting.description):
            posting.detected_types, posting.detected_themes = old.detected_types, old.detected_themes
            posting.text_language = old.text_language
        postings.append(analyse(posting, *synonyms))
    ids = np.array([row["id"] for row in rows], dtype=np.int64)
    vectors = load_vectors(ids, previous)

    restriction_rows = [restriction_tokens(countries.get(pk, ()), groups.get(pk, ())) for pk in ids.tolist()]
    identity_rows = [country_tokens(row["organization__country_id"], groups_by_country) for row in rows]
    token_index = {}
    for token_row in restriction_rows + identity_rows:
        for token in token_row:
            token_index.setdefault(token, len(token_index))

    # Character n-grams help most on small catalogues and cost ten times the word view: above
    # 5,000 open postings the lexical view uses words only (bench/bench_matches.py).
    n_offers = sum(1 for row in rows if row["direction"] == Direction.OFFER)
    slices = {Direction.OFFER: slice(0, n_offers), Direction.REQUEST: slice(n_offers, len(rows))}
    lexical = previous.lexical if previous else LexicalIndex(char_max_docs=5_000)
    lexical.update(ids.tolist(), [f"{p.title}. {p.description}" for p in postings])
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
        slices=slices,
        pools={
            direction: _pool(postings[part], vectors[part], previous and previous.pools.get(direction))
            for direction, part in slices.items()
        },
        lexical=lexical,
        postings={p.id: p for p in postings},
        embedded_until=version[1],
    )


def _pool(postings, vectors, previous):
    """The candidate pool of one direction; the previous one when none of its postings changed
    (a new request leaves the offers' pool as it was), as building one is the costly step."""
    if previous is not None and previous.postings == postings and np.array_equal(previous.matrix, vectors):
        previous.matrix = vectors  # same values; let the old vector array go
        return previous
    return CandidatePool(postings, vectors)


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


def load_vectors(ids, previous=None):
    """The stored vectors of the given postings (zeros where missing), as one matrix. With a
    `previous` index, only vectors it lacks or that changed since it was built are read."""
    reuse = previous is not None and previous.vectors.shape[1] > 0
    embeddings = OpportunityEmbedding.objects.filter(status=EmbeddingStatus.READY)
    if reuse:
        missing = [int(pk) for pk in ids if int(pk) not in previous.position]
        changed = (
            embeddings.filter(updated_at__gte=previous.embedded_until)
            if previous.embedded_until
            else embeddings
        )
        rows = dict(changed.values_list("opportunity_id", "vector"))
        rows.update(embeddings.filter(opportunity_id__in=missing).values_list("opportunity_id", "vector"))
        dim = previous.vectors.shape[1]
    else:
        rows = dict(
            embeddings.filter(opportunity_id__in=[int(i) for i in ids]).values_list(
                "opportunity_id", "vector"
            )
        )
        dim = next((len(bytes(v)) // 4 for v in rows.values() if v), 0)
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    for i, pk in enumerate(ids.tolist()):
        vector = rows.get(pk)
        if vector and len(bytes(vector)) == dim * 4:
            matrix[i] = np.frombuffer(bytes(vector), dtype=np.float32)
        elif reuse and pk in previous.position:
            matrix[i] = previous.vectors[previous.position[pk]]
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
    """The query's vector: from the index, else from the database, else embedded now (once). None
    when it cannot be made: the model failed (now, or EMBEDDING_MAX_ATTEMPTS times before, and the
    posting waits for `retry_embeddings`)."""
    position = index.position.get(query.pk)
    if position is not None and index.vectors.shape[1] and index.vectors[position].any():
        return index.vectors[position]
    stored = OpportunityEmbedding.objects.filter(pk=query.pk).first()
    if stored is None or stored.status != EmbeddingStatus.READY or not stored.vector:
        if stored is not None and stored.attempts >= settings.EMBEDDING_MAX_ATTEMPTS:
            return None
        from matchmaking.services import embed_opportunities

        embed_opportunities([query.pk])
        stored = OpportunityEmbedding.objects.filter(pk=query.pk, status=EmbeddingStatus.READY).first()
    if stored is None or not stored.vector:
        return None
    return np.frombuffer(bytes(stored.vector), dtype=np.float32)


HAND_SET = {"source": "hand-set", "method": "ml.ranking.Weights defaults, chosen on the dev set"}


def weights_in_use():
    """The blend's weights and where they come from: the MATCHING_WEIGHTS setting if set (an
    operator's override, also used for ablations), else the newest active weights learned by
    `manage.py train_ranker`, else the hand-set ones of ml/ranking.py."""
    if settings.MATCHING_WEIGHTS:
        weights = Weights.from_dict({**Weights().to_dict(), **settings.MATCHING_WEIGHTS})
        return weights, {"source": "setting", "method": "MATCHING_WEIGHTS", "weights": weights.to_dict()}
    stored = RankerWeights.objects.filter(is_active=True).order_by("-created_at", "-id").first()
    if stored is None:
        return Weights(), {**HAND_SET, "weights": Weights().to_dict()}
    return Weights.from_dict(stored.weights), stored.provenance()


def current_weights():
    return weights_in_use()[0]


class Recommendations(list):
    """The recommendations, best first; `pending` is true when the query's text has no vector yet
    (its embedding failed and waits for a retry), so they were ranked without semantic similarity."""

    pending = False


def recommend(query, limit=10, today=None):
    """Returns up to `limit` dicts {"opportunity", "score", "reasons"}, best first (Recommendations)."""
    today = today or timezone.localdate()
    if query.direction == Direction.OFFER:
        prefetch_related_objects([query], "eligible_countries", "eligible_groups")
    index = get_index()
    mask = hard_filter_mask(index, query, today)
    if not mask.any():
        return Recommendations()
    if query.pk in index.postings:
        posting = index.postings[query.pk]
    else:
        posting = to_posting(query, *vocabulary_synonyms())
    vector = query_vector(query, index)
    other = Direction.REQUEST if query.direction == Direction.OFFER else Direction.OFFER
    part = index.slices[other]
    lexical = index.lexical.score(f"{posting.title}. {posting.description}", rows=part)
    weights, provenance = weights_in_use()
    results = rank(
        posting,
        index.pools[other],
        query_vector=vector,
        lexical_scores=lexical,
        weights=weights,
        limit=limit + 2,  # spares, for postings deleted since the index was built
        lexical_index=index.lexical,
        mask=mask[part],
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
        reasons["weights"] = provenance
        out.append({"opportunity": opportunity, "score": result.score, "reasons": reasons})
    recommendations = Recommendations(out[:limit])
    recommendations.pending = vector is None
    return recommendations


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
        admitted = {index.tokens[column] for column in index.restrictions[row].indices}
    if not admitted:
        return "The offer is open to every country."
    if f"C:{country}" in admitted:
        return f"{country} is listed among the eligible countries."
    groups = sorted(g for g in index.groups_by_country.get(country, ()) if f"G:{g}" in admitted)
    return f"{country} is in group {', '.join(groups)}."


# Below this blend of semantic and lexical similarity a posting is not "about" the text searched
# (measured with the packaged model: unrelated texts score under 0.2, related ones 0.4 and more).
SEARCH_MIN_SCORE = 0.3


def search_scores(text, limit=20, today=None):
    """[(posting id, score)] of the live open postings closest to `text`, best first: the
    semantic and lexical parts of the matching blend, in the proportion of the weights in use
    (the text is embedded through its English gloss, as postings are; on words alone if the
    model cannot be loaded). Keeps postings scoring at least SEARCH_MIN_SCORE."""
    import logging

    from matchmaking.services import get_embedder
    from ml.embeddings import posting_text

    today = today or timezone.localdate()
    index = get_index()
    if not len(index.ids):
        return []
    lexical = np.asarray(index.lexical.score(text), dtype=np.float32)
    scores = lexical
    try:
        vector = np.asarray(get_embedder().encode([posting_text(text, "")])[0], dtype=np.float32)
    except Exception:  # noqa: BLE001 - search still works on words alone
        logging.getLogger(__name__).exception("Could not embed a search text")
        vector = None
    if vector is not None and index.vectors.shape[1] == vector.shape[0]:
        weights = current_weights()
        share = weights.semantic / ((weights.semantic + weights.lexical) or 1.0)
        blended = share * np.clip(index.vectors @ vector, 0.0, 1.0) + (1 - share) * lexical
        scores = np.where(index.has_vector, blended, lexical)  # not embedded yet: words alone
    alive = (
        (index.ends >= today.toordinal())
        & (index.deadline >= today.toordinal())
        & (scores >= SEARCH_MIN_SCORE)
    )
    rows = np.flatnonzero(alive)
    rows = rows[np.lexsort((rows, -scores[rows]))][:limit]
    return [(int(index.ids[row]), round(float(scores[row]), 4)) for row in rows]


def search(text, limit=20, today=None):
    """The postings of `search_scores`: dicts {"opportunity", "score"}, best first."""
    scored = search_scores(text, limit, today)
    found = Opportunity.objects.select_related("organization__country", "cooperation_type").in_bulk(
        [pk for pk, _ in scored]
    )
    return [{"opportunity": found[pk], "score": score} for pk, score in scored if pk in found]
