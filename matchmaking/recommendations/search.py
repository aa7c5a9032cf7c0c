"""Text search over the index: the open opportunities closest in meaning and in words to a text."""

import logging

import numpy as np
from django.utils import timezone

from matchmaking.models import Opportunity
from ml import embeddings

from . import embedding
from .index import get_index
from .weights import current_weights

logger = logging.getLogger(__name__)

# Below this blend of semantic and lexical similarity an opportunity is not "about" the text searched
# (measured with USE on both development sets, each request's title as the query against the offers:
# the judged-relevant offers score 0.28 at the median, nine in ten unrelated ones under 0.19).
SEARCH_MIN_SCORE = 0.2


def search_scores(text, limit=20, today=None):
    """[(opportunity id, score)] of the live open opportunities closest to `text`, best first: the
    semantic and lexical parts of the matching blend, in the proportion of the weights in use
    (the text is embedded as opportunities are; on words alone if the model cannot be loaded). As in
    ranking, a text is never penalised for its language: words count only where they say more than
    the meaning (words of another language say nothing). Keeps those scoring at least
    SEARCH_MIN_SCORE."""
    today = today or timezone.localdate()
    index = get_index()
    if not len(index.ids):
        return []
    lexical = np.asarray(index.lexical.score(text), dtype=np.float32)
    scores = lexical
    try:
        encoded = embedding.embedder().encode([embedding.embedding_text(text, "")])
        vector = np.asarray(encoded[0], dtype=np.float32)
    except Exception:  # noqa: BLE001 - search still works on words alone
        logger.exception("Could not embed a search text")
        vector = None
    if vector is not None and index.vectors.shape[1] == vector.shape[0]:
        weights = current_weights()
        share = weights.semantic / ((weights.semantic + weights.lexical) or 1.0)
        meaning = embeddings.rescale(index.vectors @ vector, embedding.embedder().cosine_floor)
        blended = share * meaning + (1 - share) * np.maximum(lexical, meaning)
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
    """The opportunities of `search_scores`: dicts {"opportunity", "score"}, best first."""
    scored = search_scores(text, limit, today)
    found = Opportunity.objects.select_related("organization__country", "cooperation_type").in_bulk(
        [pk for pk, _ in scored]
    )
    return [{"opportunity": found[pk], "score": score} for pk, score in scored if pk in found]
