"""Whether weights learned from answered matches rank better than the weights in use.

Pure numpy and scikit-learn: rows of ``ranking.compute_features`` and labels (1 accepted, 0 declined
or withdrawn) in, scores out. The metric is ROC AUC of the blended score: the chance that an accepted
pair is ranked above a refused one, which is what a recommendation list needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.ranking import Weights, blend, learn_weights

METRIC = "roc_auc"


@dataclass
class Comparison:
    learned: float  # mean held-out AUC of the weights learned on the other folds
    baseline: float  # mean held-out AUC of the weights in use, on the same folds
    folds: int

    @property
    def better(self) -> bool:
        return self.learned > self.baseline


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def compare(features: np.ndarray, labels: np.ndarray, baseline: Weights, seed: int = 0) -> Comparison | None:
    """Stratified k-fold (k up to 5): learns weights on k-1 folds, scores them and ``baseline`` on the
    held-out fold. None when there are fewer than two examples of each label."""
    from sklearn.model_selection import StratifiedKFold

    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels).astype(int)
    minority = min(int(y.sum()), int(len(y) - y.sum()))
    if minority < 2:
        return None
    folds = min(5, minority)
    learned_scores, baseline_scores = [], []
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y):
        weights = learn_weights(X[train], y[train], min_examples=1)
        # weights that cannot be learned rank no better than chance
        learned_scores.append(auc(y[test], blend(X[test], weights)) if weights is not None else 0.5)
        baseline_scores.append(auc(y[test], blend(X[test], baseline)))
    return Comparison(float(np.mean(learned_scores)), float(np.mean(baseline_scores)), folds)
