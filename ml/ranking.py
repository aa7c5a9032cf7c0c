"""The blend that ranks candidates for one opportunity, and learning its weights.

The Django side applies the hard filters (status, dates, eligibility, capacity, same
organization) first; ``rank`` only scores and explains what it is given. It works both ways:
for a request the candidates are offers, for an offer they are requests.

The score is the weighted mean of the features of ``ml.features``, scaled down a little when the
two sides share no working language, so it is in [0, 1] too (see ``blend``). Detailed reasons are
written only for the top results (``ml.reasons``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from ml.features import FEATURES, CandidatePool, Profile, compute_features
from ml.reasons import explain


@dataclass(frozen=True)
class Weights:
    """The blend's weights, chosen with bench/offline_eval.py on both development sets.

    Six weights average features in [0, 1]. They sit in the middle of a plateau of a grid
    search (semantic 0.45-0.55, lexical 0.15-0.25, type 0.15-0.25, themes 0.1-0.15 all score
    within 0.01 nDCG of each other), rather than on its best dev point.

    semantic   meaning of the texts (cosine of multilingual sentence vectors): sees paraphrases
               ("our server keeps failing" / "we host national sites") in any of the languages the
               model knows, across languages too; hence the largest weight
    lexical    TF-IDF of the words of two texts in the same language: exact domain words the
               model blurs (herbarium, ballast water, Darwin Core); across languages it stands for
               the meaning, so no pair is penalised for its languages
    type       cooperation-type compatibility of declared types and of types read from the text:
               the best single structured signal
    themes     shared CBD themes, declared or read from the text (rarer themes count more):
               separates same-type offers of the wrong subject
    objectives shared strategic-plan objectives: weak, often left empty
    dates      overlapping periods: weak, most opportunities have no dates
    structured the structured needs both sides gave (budget ranges in one currency, level, duration,
               expected outputs, costs covered): averaged in only for the pairs where both gave at
               least one of them, so a pair where either side left them empty is scored exactly as
               without it. The development sets have none, so its weight could not be measured there:
               it is set as the themes', a second structured signal after the type

    language is not averaged in: it is the share of the score lost when the two sides have no
    common working language. They can hardly work together, but a pair is not irrelevant for
    that, and an added language bonus lifts unrelated opportunities of the same language
    (measured: additive, it cost 0.02-0.05 nDCG; multiplying by 0.85 gains 0.02-0.03 on the
    seven-language set, where many best pairs cross languages).
    """

    semantic: float = 0.45
    lexical: float = 0.25
    type: float = 0.20
    themes: float = 0.10
    objectives: float = 0.04
    language: float = 0.15
    dates: float = 0.03
    structured: float = 0.10

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> Weights:
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float32)


WEIGHTS = Weights()


@dataclass
class Result:
    id: Any
    score: float
    reasons: dict
    features: dict[str, float]


# --------------------------------------------------------------------------- ranking

_LANGUAGE = FEATURES.index("language")
_STRUCTURED = FEATURES.index("structured")
_ALWAYS = [i for i, name in enumerate(FEATURES) if name != "structured"]  # every row has these


def blend(features: np.ndarray, weights: Weights = WEIGHTS) -> np.ndarray:
    """Scores in [0, 1] from rows of ``compute_features``.

    The weighted mean of the features, then scaled down when there is no common working
    language: a language is not a reason to recommend an unrelated opportunity, but it does make
    a related one less useful, so it multiplies rather than adds. The structured fit joins the mean
    only in the rows that have one (not NaN): the other rows are scored as if it did not exist.
    """
    w = weights.vector()
    w[_LANGUAGE] = 0.0
    always = w[_ALWAYS]
    total = float(always.sum())
    base = (features[:, _ALWAYS] @ always) / (total or 1.0)
    structured = features[:, _STRUCTURED]
    given = ~np.isnan(structured)
    if given.any():
        weight = float(w[_STRUCTURED])
        with_structure = (base * total + weight * np.where(given, structured, 0.0)) / (
            (total + weight) or 1.0
        )
        base = np.where(given, with_structure, base)
    return base * (1.0 - weights.language * (1.0 - features[:, _LANGUAGE]))


def rank(
    query: Profile,
    pool: CandidatePool,
    query_vector: np.ndarray | None = None,
    lexical_scores: np.ndarray | None = None,
    weights: Weights = WEIGHTS,
    limit: int = 10,
    mask: np.ndarray | None = None,
    profiles: Mapping[Any, Profile] | None = None,
    lexical_index=None,
) -> list[Result]:
    """The ``limit`` best candidates of ``pool`` for ``query``, best first (ties by the pool's tie
    key), each with its score and features.

    ``lexical_scores`` are aligned with the pool's positions (``LexicalIndex.score`` of an index
    that holds the same texts at the same positions). ``mask`` (booleans aligned with the pool)
    keeps only the positions the hard filters let through; empty positions are never ranked. With
    ``profiles`` (key -> the candidate's full profile, its text included), each result carries its
    reasons too (``ml.reasons.explain``; ``lexical_index`` names the shared key words).
    """
    if len(pool) == 0 or limit <= 0:
        return []
    feats = compute_features(query, pool, query_vector, lexical_scores)
    scores = blend(feats, weights)
    keep = pool.alive if mask is None else pool.alive & np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        return []
    k = min(limit, len(rows))
    if k < len(rows):
        # the k best, and any tied with the k-th, so that ties are broken by the tie key alone
        kth = np.partition(-scores[rows], k - 1)[k - 1]
        rows = rows[-scores[rows] <= kth]
    rows = rows[np.lexsort((pool.tie[rows], -scores[rows]))][:k]
    results = []
    for i in rows:
        key = pool.keys[int(i)]
        row = dict(zip(FEATURES, (float(x) for x in feats[i]), strict=True))
        reasons = {}
        if profiles is not None:
            reasons = explain(query, profiles[key], row, pool.vocabulary, lexical_index, pool.config)
        results.append(Result(id=key, score=round(float(scores[i]), 4), reasons=reasons, features=row))
    return results


# --------------------------------------------------------------------------- learning the blend


def learn_weights(feature_rows: np.ndarray, accepted: np.ndarray, min_examples: int = 50) -> Weights | None:
    """Weights learned from recorded outcomes: rows of ``compute_features``, 1 accepted, 0 declined.

    A logistic regression; negative coefficients are clipped to zero (every feature is meant to
    help), and the weights are scaled to sum to 1. None when there are too few examples or only
    one kind of outcome. A structured fit that is absent (NaN) counts as neutral, 0.5.
    """
    from sklearn.linear_model import LogisticRegression

    X = np.nan_to_num(np.asarray(feature_rows, dtype=np.float64), nan=0.5)
    y = np.asarray(accepted).astype(int)
    if len(y) < min_examples or len(set(y.tolist())) < 2:
        return None
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    coef = np.clip(model.coef_.ravel(), 0.0, None)
    if coef.sum() <= 0:
        return None
    coef = coef / coef.sum()
    return Weights.from_dict(dict(zip(FEATURES, coef.tolist(), strict=True)))
