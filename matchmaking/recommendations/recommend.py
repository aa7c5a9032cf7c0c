"""The recommendations of one opportunity: hard filters first, then the blend of `ml.ranking`, with
the reasons for each result."""

from django.db.models import prefetch_related_objects
from django.utils import timezone

from matchmaking.choices import Direction
from matchmaking.models import Opportunity
from ml.ranking import rank
from ml.reasons import explain

from .embedding import covers
from .filters import candidate_side, eligible_through, hard_filter_mask
from .index import profile_and_vector, profiles_of, query_terms, reading
from .reasons import summary

PROFILE_FIELDS = ("themes", "objectives", "languages")


class Recommendations(list):
    """The recommendations, best first; `pending` is true when the query's text has no vector yet
    (its embedding failed or is still to come), so they were ranked without semantic similarity."""

    pending = False


def recommend(query, limit=10, today=None):
    """Up to `limit` dicts {"opportunity", "score", "reasons"}, best first (as Recommendations)."""
    today = today or timezone.localdate()
    eligibility_fields = (
        ("eligible_countries", "eligible_groups") if query.direction == Direction.OFFER else ()
    )
    prefetch_related_objects([query], *PROFILE_FIELDS, *eligibility_fields)
    profile, vector = profile_and_vector(query)
    terms = query_terms(query)
    with reading() as index:
        weights, provenance = index.weights()
        labels = index.labels
        side = candidate_side(index, query)
        mask = hard_filter_mask(index, query, today)
        results = rank(
            profile,
            side.pool,
            query_vector=vector,
            lexical_scores=index.lexical_scores(side, terms),
            weights=weights,
            limit=limit + 2,  # spares, for opportunities deleted since the index was read
            mask=mask,
        ) if mask.any() else []  # fmt: skip
        found = Opportunity.objects.select_related("organization__country", "cooperation_type").in_bulk(
            [r.id for r in results]
        )
        eligibility = {pk: eligible_through(query, candidate, index) for pk, candidate in found.items()}
        lexical = index.lexical
    prefetch_related_objects(list(found.values()), *PROFILE_FIELDS)
    profiles = profiles_of(found.values())
    pool = side.pool
    out = []
    for result in results:
        opportunity = found.get(result.id)
        if opportunity is None:  # deleted since the index was read
            continue
        reasons = explain(
            profile, profiles[result.id], result.features, pool.vocabulary, lexical, pool.config
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
