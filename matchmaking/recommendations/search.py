"""Text search over the index: the open opportunities closest in meaning and in words to a text."""

import logging

import numpy as np
from django.utils import timezone

from matchmaking.models import Opportunity
from ml import embeddings
from ml.lexical import text_terms

from . import embedding
from .index import reading

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
    try:
        encoded = embedding.embedder().encode([embedding.embedding_text(text, "")])
        vector = np.asarray(encoded[0], dtype=np.float32)
    except Exception:  # noqa: BLE001 - search still works on words alone
        logger.exception("Could not embed a search text")
        vector = None
    terms = text_terms(text)
    found_ids, found_scores = [], []
    with reading() as index:
        weights = index.weights()[0]
        share = weights.semantic / ((weights.semantic + weights.lexical) or 1.0)
        lexical = index.lexical.score(terms)
        for side in index.sides.values():
            scores = lexical[side.rows["lexical"]]
            matrix = side.pool.matrix
            if vector is not None and matrix.shape[1] == vector.shape[0]:
                meaning = embeddings.rescale(matrix @ vector, embedding.embedder().cosine_floor)
                blended = share * meaning + (1 - share) * np.maximum(scores, meaning)
                scores = np.where(side.rows["has_vector"], blended, scores)  # not embedded yet: words alone
            keep = np.flatnonzero(
                side.alive
                & (side.rows["ends"] >= today.toordinal())
                & (side.rows["deadline"] >= today.toordinal())
                & (scores >= SEARCH_MIN_SCORE)
            )
            found_ids.append(side.rows["id"][keep])
            found_scores.append(scores[keep])
    ids, scores = np.concatenate(found_ids), np.concatenate(found_scores)
    best = np.lexsort((ids, -scores))[:limit]
    return [(int(ids[i]), round(float(scores[i]), 4)) for i in best]


def search(text, limit=20, today=None):
    """The opportunities of `search_scores`: dicts {"opportunity", "score"}, best first."""
    scored = search_scores(text, limit, today)
    found = Opportunity.objects.select_related("organization__country", "cooperation_type").in_bulk(
        [pk for pk, _ in scored]
    )
    return [{"opportunity": found[pk], "score": score} for pk, score in scored if pk in found]
