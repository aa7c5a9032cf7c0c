"""Learning the blend's weights from answered matches: their features, and learned weights compared
with the weights in use by cross-validation. Nothing is stored here (`services.ranking` stores)."""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, Opportunity
from ml.embeddings import opportunity_text
from ml.features import FEATURES, CandidatePool, compute_features
from ml.learning import METRIC, compare
from ml.lexical import LexicalIndex
from ml.ranking import Weights, learn_weights

from .embedding import feature_config
from .index import profiles_of, stored_vectors
from .vocabulary import current_vocabulary
from .weights import weights_in_use

# Answered matches are labelled examples: accepted (and what follows) 1, declined or withdrawn 0.
LABELS = {
    MatchStatus.ACCEPTED: 1,
    MatchStatus.IN_PROGRESS: 1,
    MatchStatus.COMPLETED: 1,
    MatchStatus.DECLINED: 0,
    MatchStatus.WITHDRAWN: 0,
}
LEARNING_METHOD = "logistic regression over ml.features.FEATURES, negative weights clipped, scaled to sum 1"


def answered_pairs():
    """(request id, offer id, status) of every answered match, in a stable order."""
    return list(
        Match.objects.filter(status__in=list(LABELS))
        .order_by("pk")
        .values_list("request_id", "offer_id", "status")
    )


def labelled_examples():
    """The ranking features of each answered match's pair (the request as the query, among the
    offers of all answered matches) and its label, as (features, labels). Opportunities without a
    stored vector count with a semantic similarity of 0."""
    pairs = answered_pairs()
    features = np.zeros((len(pairs), len(FEATURES)), dtype=np.float32)
    labels = np.array([LABELS[status] for _, _, status in pairs], dtype=int)
    if not pairs:
        return features, labels
    ids = sorted({request for request, _, _ in pairs} | {offer for _, offer, _ in pairs})
    vocabulary = current_vocabulary()
    opportunities = Opportunity.objects.filter(pk__in=ids).prefetch_related(
        "themes", "objectives", "languages"
    )
    profiles = profiles_of(opportunities)
    vectors = dict(zip(ids, stored_vectors(ids), strict=True))
    offer_ids = sorted({offer for _, offer, _ in pairs})
    pool = CandidatePool.of(
        [profiles[pk] for pk in offer_ids],
        np.array([vectors[pk] for pk in offer_ids]),
        vocabulary,
        config=feature_config(),
    )
    lexical = LexicalIndex.from_texts(
        [opportunity_text(profiles[pk].title, profiles[pk].description) for pk in offer_ids]
    )
    row_of = {pk: row for row, pk in enumerate(offer_ids)}
    by_request = defaultdict(list)
    for i, (request, offer, _) in enumerate(pairs):
        by_request[request].append((i, offer))
    for request, rows in by_request.items():
        query = profiles[request]
        vector = vectors[request] if vectors[request].any() else None
        scores = compute_features(
            query, pool, vector, lexical.score(opportunity_text(query.title, query.description))
        )
        for i, offer in rows:
            features[i] = scores[row_of[offer]]
    return features, labels


@dataclass
class Training:
    """What learning found: how many labels, the weights learned (None when none are worth using),
    their held-out score against the weights in use, and a sentence that says so."""

    labels: int
    positives: int
    weights: Weights | None = None
    learned_score: float | None = None
    baseline_score: float | None = None
    baseline: Weights | None = None
    message: str = ""


def semantic_share(weights):
    """The share of the averaged weights (all but language) that goes to the meaning of the texts."""
    values = weights.to_dict()
    total = sum(value for name, value in values.items() if name != "language")
    return values["semantic"] / total if total else 0.0


def learn(min_labels, min_gain=0.0, semantic_floor=0.0):
    """Learns weights from the answered matches when there are at least `min_labels` of them and
    returns them only if they rank held-out matches better than the weights in use by at least
    `min_gain` (ROC AUC, cross-validated) and give the meaning of the texts at least
    `semantic_floor` of the weight: learning from a few clicks can never make ranking worse than it
    was, nor rank on structure alone."""
    features, labels = labelled_examples()
    training = Training(labels=len(labels), positives=int(labels.sum()))
    if len(labels) < min_labels:
        training.message = (
            f"{len(labels)} labelled matches, fewer than {min_labels}: the weights in use stay."
        )
        return training
    baseline, provenance = weights_in_use()
    training.baseline = baseline
    comparison = compare(features, labels, baseline)
    if comparison is None:
        training.message = "Too few accepted or refused matches to compare: the weights in use stay."
        return training
    training.learned_score, training.baseline_score = comparison.learned, comparison.baseline
    scores = f"{METRIC} {comparison.learned:.4f} against {comparison.baseline:.4f} ({provenance['source']})"
    if comparison.learned < comparison.baseline + min_gain:
        training.message = (
            f"The learned weights do not rank better by {min_gain}, {scores}: the weights in use stay."
        )
        return training
    learned = learn_weights(features, labels, min_examples=min_labels)
    if learned is None:
        training.message = "No weights could be learned: the weights in use stay."
        return training
    if semantic_share(learned) < semantic_floor:
        training.message = (
            f"The learned weights give the meaning of the texts {semantic_share(learned):.2f} of the weight, "
            f"under the floor of {semantic_floor}: the weights in use stay."
        )
        return training
    training.weights = learned
    training.message = f"The learned weights rank better, {scores}"
    return training
