"""The blend's weights in use, and where they come from."""

from django.conf import settings

from matchmaking.models import RankerWeights
from ml.ranking import Weights

HAND_SET = {"source": "hand-set", "method": "ml.ranking.Weights defaults, chosen on the dev set"}


def weights_in_use():
    """The blend's weights and where they come from: the MATCHING_WEIGHTS setting if set (an
    operator's override, also used for ablations), else the learned weights activated last (by
    `manage.py train_ranker` or staff), else the hand-set ones of ml/ranking.py."""
    if settings.MATCHING_WEIGHTS:
        weights = Weights.from_dict({**Weights().to_dict(), **settings.MATCHING_WEIGHTS})
        return weights, {"source": "setting", "method": "MATCHING_WEIGHTS", "weights": weights.to_dict()}
    stored = RankerWeights.objects.filter(is_active=True).order_by("-activated_at", "-id").first()
    if stored is None:
        return Weights(), {**HAND_SET, "weights": Weights().to_dict()}
    return Weights.from_dict(stored.weights), stored.provenance()
