"""The recommendations of one opportunity: hard filters first, then the blend of `ml.ranking`, with
the reasons for each result."""

from dataclasses import replace

from django.db.models import prefetch_related_objects
from django.utils import timezone

from matchmaking.choices import Direction
from matchmaking.models import Opportunity
from ml.ranking import rank
from ml.reasons import explain, shared_terms_for

from .embedding import covers
from .filters import candidate_side, eligible_through, hard_filter_mask
from .index import profile_and_vector, query_terms, reading
from .reasons import summary

PROFILE_FIELDS = ("themes", "objectives", "languages")


class Recommendations(list):
    """The recommendations, best first; `pending` is true when the query's text has no vector yet
    (its embedding failed or is still to come), so they were ranked without semantic similarity."""

    pending = False


def recommend(query, limit=10, today=None):
    """Up to `limit` dicts {"opportunity", "score", "reasons"}, best first (as Recommendations). Each
    opportunity carries `list_keys`: the keys of its many-to-many fields, from the index (the API
    lists them from there instead of five queries)."""
    today = today or timezone.localdate()
    with reading() as index:
        profile, vector = _query_profile(index, query)
        weights, provenance = index.weights()
        labels = index.labels
        side = candidate_side(index, query)
        mask = hard_filter_mask(index, query, today)
        results = rank(
            profile,
            side.pool,
            query_vector=vector,
            lexical_scores=index.lexical_scores(side, query_terms(query)),
            weights=weights,
            limit=limit + 2,  # spares, for opportunities deleted since the index was read
            mask=mask,
        ) if mask.any() else []  # fmt: skip
        stored = {r.id: index.stored(r.id) for r in results}
        found = Opportunity.objects.select_related("organization__country", "cooperation_type").in_bulk(
            [r.id for r in results]
        )
        eligibility = {pk: eligible_through(query, candidate, index) for pk, candidate in found.items()}
        lexical = index.lexical
    pool = side.pool
    results = [result for result in results if result.id in found]  # others were deleted since
    candidates = [
        replace(stored[r.id].profile, title=found[r.id].title, description=found[r.id].description)
        for r in results
    ]
    shared_terms = shared_terms_for(lexical, profile, candidates)
    out = []
    for result, candidate, terms in zip(results, candidates, shared_terms, strict=True):
        opportunity = found[result.id]
        opportunity.list_keys = stored[result.id].lists
        reasons = explain(
            profile, candidate, result.features, pool.vocabulary, lexical, pool.config, shared_terms=terms
        )
        reasons["eligible_through"] = eligibility[result.id]
        reasons["text_language_covered"] = [covers(language) for language in reasons["text_languages"]]
        reasons["summary"] = summary(reasons, query, opportunity, labels)
        reasons["eligibility"] = reasons["summary"][-1]
        reasons["weights"] = provenance
        out.append({"opportunity": opportunity, "score": result.score, "reasons": reasons})
    recommendations = Recommendations(out[:limit])
    recommendations.pending = vector is None
    return recommendations


def _query_profile(index, query):
    """The query's profile and vector: from the index when it holds the query (an open, approved
    opportunity), else read from the database."""
    stored = index.stored(query.pk)
    if stored is not None:
        profile = replace(stored.profile, title=query.title, description=query.description)
        return profile, stored.vector
    eligibility_fields = (
        ("eligible_countries", "eligible_groups") if query.direction == Direction.OFFER else ()
    )
    prefetch_related_objects([query], *PROFILE_FIELDS, *eligibility_fields)
    return profile_and_vector(query)
