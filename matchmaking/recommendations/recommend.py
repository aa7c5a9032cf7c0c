"""The recommendations of one opportunity: hard filters first, then the blend of `ml.ranking`, with
the reasons for each result."""

import numpy as np
from django.db.models import prefetch_related_objects
from django.utils import timezone

from matchmaking.choices import Direction
from matchmaking.models import Opportunity
from ml.ranking import rank

from .embedding import covers
from .filters import eligible_through, hard_filter_mask
from .index import current_embeddings, get_index, profile_of
from .reasons import TermLabels, summary
from .weights import weights_in_use


class Recommendations(list):
    """The recommendations, best first; `pending` is true when the query's text has no vector yet
    (its embedding failed or is still to come), so they were ranked without semantic similarity."""

    pending = False


def stored_vector(query, index):
    """The query's vector, from the index or else from the database; None when it has none yet."""
    position = index.position.get(query.pk)
    if position is not None and index.vectors.shape[1] and index.vectors[position].any():
        return index.vectors[position]
    stored = current_embeddings().filter(pk=query.pk).values_list("vector", flat=True).first()
    return np.frombuffer(bytes(stored), dtype=np.float32) if stored else None


def recommend(query, limit=10, today=None):
    """Up to `limit` dicts {"opportunity", "score", "reasons"}, best first (as Recommendations)."""
    today = today or timezone.localdate()
    if query.direction == Direction.OFFER:
        prefetch_related_objects([query], "eligible_countries", "eligible_groups")
    index = get_index()
    mask = hard_filter_mask(index, query, today)
    if not mask.any():
        return Recommendations()
    profile = index.profiles.get(query.pk) or profile_of(query)
    vector = stored_vector(query, index)
    other = Direction.REQUEST if query.direction == Direction.OFFER else Direction.OFFER
    part = index.slices[other]
    lexical = index.lexical.score(f"{profile.title}. {profile.description}", rows=part)
    weights, provenance = weights_in_use()
    results = rank(
        profile,
        index.pools[other],
        query_vector=vector,
        lexical_scores=lexical,
        weights=weights,
        limit=limit + 2,  # spares, for opportunities deleted since the index was built
        lexical_index=index.lexical,
        mask=mask[part],
    )
    found = Opportunity.objects.select_related("organization__country", "cooperation_type").in_bulk(
        [r.id for r in results]
    )
    labels = TermLabels()
    out = []
    for result in results:
        opportunity = found.get(result.id)
        if opportunity is None:  # deleted since the index was built
            continue
        reasons = dict(result.reasons)
        reasons["eligible_through"] = eligible_through(query, opportunity, index)
        reasons["text_language_covered"] = [covers(language) for language in reasons["text_languages"]]
        reasons["summary"] = summary(reasons, query, opportunity, labels)
        reasons["eligibility"] = reasons["summary"][-1]
        reasons["weights"] = provenance
        out.append({"opportunity": opportunity, "score": result.score, "reasons": reasons})
    recommendations = Recommendations(out[:limit])
    recommendations.pending = vector is None
    return recommendations
