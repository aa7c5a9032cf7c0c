"""The blend that ranks candidates for one posting, and the reasons for each result.

The Django side applies the hard filters (status, dates, eligibility, capacity, same
organization) first; ``rank`` only scores and explains what it is given. It works both ways:
for a request the candidates are offers, for an offer they are requests, and cooperation types
are always compared as (request type, offer type).

Every feature is a number in [0, 1] for each candidate, computed for all candidates at once
with numpy; the score is the weighted mean of the features, scaled down a little when the two
sides share no working language, so it is in [0, 1] too (see ``blend``). Detailed reasons are
written only for the top results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np

from ml.crosslingual import detect_language, detect_themes, detect_types, to_english

OTHER = "other"

# (request type, offer type) -> how well offers of that type serve requests of that type.
# Pairs not listed fit at UNLISTED_FIT; "other" on either side is neutral (OTHER_FIT), since
# people pick it loosely.
TYPE_COMPATIBILITY: dict[tuple[str, str], float] = {
    ("hosting", "hosting"): 1.0,
    ("hosting", "website_development"): 0.7,  # development offers usually host the site too
    ("hosting", "mirroring"): 0.6,  # a mirror keeps a site up when home is down
    ("hosting", "technical_advice"): 0.3,
    ("mirroring", "mirroring"): 1.0,
    ("mirroring", "hosting"): 0.8,  # a host abroad solves reach as a mirror does
    ("mirroring", "technical_advice"): 0.4,
    ("mirroring", "website_development"): 0.3,
    ("website_development", "website_development"): 1.0,
    ("website_development", "hosting"): 0.6,
    ("website_development", "technical_advice"): 0.5,
    ("website_development", "mentoring"): 0.5,
    ("website_development", "training"): 0.4,
    ("technical_advice", "technical_advice"): 1.0,
    ("technical_advice", "website_development"): 0.6,
    ("technical_advice", "training"): 0.6,
    ("technical_advice", "mentoring"): 0.6,
    ("technical_advice", "mirroring"): 0.5,
    ("technical_advice", "hosting"): 0.4,
    ("technical_advice", "data_sharing"): 0.4,
    ("technical_advice", "technology_transfer"): 0.4,
    ("technical_advice", "research"): 0.3,
    ("training", "training"): 1.0,
    ("training", "mentoring"): 0.7,
    ("training", "technical_advice"): 0.5,
    ("training", "technology_transfer"): 0.5,  # tools usually come with training
    ("training", "funding"): 0.3,
    ("funding", "funding"): 1.0,
    ("funding", "collection_access"): 0.4,
    ("funding", "research"): 0.3,
    ("collection_access", "collection_access"): 1.0,
    ("collection_access", "funding"): 0.7,  # taxonomy grants pay for visits to collections
    ("collection_access", "research"): 0.5,
    ("collection_access", "data_sharing"): 0.4,
    ("collection_access", "training"): 0.2,
    ("data_sharing", "data_sharing"): 1.0,
    ("data_sharing", "technical_advice"): 0.7,  # publishing helpdesks
    ("data_sharing", "hosting"): 0.5,
    ("data_sharing", "training"): 0.4,
    ("data_sharing", "funding"): 0.4,
    ("data_sharing", "collection_access"): 0.3,
    ("technology_transfer", "technology_transfer"): 1.0,
    ("technology_transfer", "funding"): 0.5,
    ("technology_transfer", "training"): 0.4,
    ("technology_transfer", "technical_advice"): 0.3,
    ("mentoring", "mentoring"): 1.0,
    ("mentoring", "training"): 0.6,
    ("mentoring", "technical_advice"): 0.6,
    ("research", "research"): 1.0,
    ("research", "collection_access"): 0.5,
    ("research", "funding"): 0.5,
    ("research", "data_sharing"): 0.4,
}
OTHER_FIT = 0.5
UNLISTED_FIT = 0.1

COOPERATION_TYPES = [
    "hosting",
    "mirroring",
    "technical_advice",
    "website_development",
    "training",
    "funding",
    "collection_access",
    "data_sharing",
    "technology_transfer",
    "mentoring",
    "research",
    OTHER,
]


def type_fit(request_type: str | None, offer_type: str | None) -> float:
    """How well an offer of ``offer_type`` serves a request of ``request_type``, in [0, 1]."""
    request_type = request_type or OTHER
    offer_type = offer_type or OTHER
    if request_type == OTHER or offer_type == OTHER:
        return OTHER_FIT
    return TYPE_COMPATIBILITY.get((request_type, offer_type), UNLISTED_FIT)


@dataclass(frozen=True)
class Weights:
    """The blend's weights, chosen with bench/offline_eval.py on the dev set.

    Six weights average features in [0, 1]. They sit in the middle of a plateau of a grid
    search (semantic 0.3-0.5, lexical 0.2-0.4, type 0.15-0.25, themes 0.05-0.15 all score
    within 0.01 nDCG of each other), rather than on its best dev point.

    semantic   meaning of the texts (MiniLM cosine of the English texts): sees paraphrases
               ("our server keeps failing" / "we host national sites"); its cosines spread less
               than the other features, hence the largest weight
    lexical    TF-IDF on the glossed texts: exact domain words the small model blurs
               (herbarium, ballast water, Darwin Core)
    type       cooperation-type compatibility of declared types and of types read from the text:
               the best single structured signal (without it nDCG drops most)
    themes     shared CBD themes (rarer themes count more): separates same-type offers
               of the wrong subject
    objectives shared strategic-plan objectives: weak, often left empty
    dates      overlapping periods: weak, most postings have no dates

    language is not averaged in: it is the share of the score lost when the two sides have no
    common working language. Judges cap such pairs at "good", they do not make them
    irrelevant, and an added language bonus lifts unrelated postings of the same language
    (measured: an additive 0.15 cost 0.02-0.05 nDCG; multiplicative 0.05 is neutral on the dev set and
    helps with more distractors).
    """

    semantic: float = 0.45
    lexical: float = 0.25
    type: float = 0.20
    themes: float = 0.10
    objectives: float = 0.04
    language: float = 0.05
    dates: float = 0.03

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> Weights:
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float32)


FEATURES = ("semantic", "lexical", "type", "themes", "objectives", "language", "dates")
WEIGHTS = Weights()


@dataclass(frozen=True)
class FeatureConfig:
    """How text-derived evidence is folded into the structured features (measured offline)."""

    detected_type_factor: float = 0.8  # a type read from the text counts this much of a declared one
    detected_theme_factor: float = 0.5  # likewise for themes
    theme_idf: bool = True  # a shared rare theme says more than a shared common one
    theme_similarity: str = "overlap"  # "overlap": shared / smaller set; "cosine"
    unknown_language: float = 0.5  # fit when either side lists no language


DEFAULT_CONFIG = FeatureConfig()


@dataclass
class Posting:
    """What ranking needs of a posting. ``detected_*`` are filled by ``analyse`` when None."""

    id: Any
    direction: str
    title: str
    description: str
    cooperation_type: str = OTHER
    themes: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    detected_types: dict[str, float] | None = None
    detected_themes: dict[str, float] | None = None
    text_language: str | None = None


@dataclass
class Analysis:
    """What is read from a posting's text: language, cooperation types and themes."""

    language: str | None
    types: dict[str, float]
    themes: dict[str, float]


def analyse_text(
    title: str,
    description: str,
    type_synonyms: dict[str, list[str]] | None = None,
    theme_synonyms: dict[str, list[str]] | None = None,
) -> Analysis:
    """Read the language, types and themes of a posting's text (store the result with the posting)."""
    text = f"{title or ''}. {description or ''}"
    english, lang = to_english(text)
    english_title, _ = to_english(title or "")
    return Analysis(
        language=lang or detect_language(text),
        types=detect_types(english, type_synonyms, title=english_title),
        themes=detect_themes(english, theme_synonyms, title=english_title),
    )


def analyse(posting: Posting, type_synonyms=None, theme_synonyms=None) -> Posting:
    """Fill the posting's ``detected_*`` fields from its text, once."""
    if posting.detected_types is None or posting.detected_themes is None or posting.text_language is None:
        found = analyse_text(posting.title, posting.description, type_synonyms, theme_synonyms)
        if posting.detected_types is None:
            posting.detected_types = found.types
        if posting.detected_themes is None:
            posting.detected_themes = found.themes
        if posting.text_language is None:
            posting.text_language = found.language or ""  # "" : looked, could not tell
    return posting


@dataclass
class Result:
    id: Any
    score: float
    reasons: dict
    features: dict[str, float]


# --------------------------------------------------------------------------- candidate arrays

_FAR_PAST = -(10**7)
_FAR_FUTURE = 10**7


def _type_weights(p: Posting, config: FeatureConfig) -> dict[str, float]:
    weights: dict[str, float] = {}
    declared = p.cooperation_type or OTHER
    if declared != OTHER:
        weights[declared] = 1.0
    for slug, confidence in (p.detected_types or {}).items():
        if slug == OTHER:
            continue
        if declared == OTHER:
            # nothing declared to contradict the text: start from the neutral fit and let the text
            # raise it, so one clear cue already beats the neutral "other"
            weight = OTHER_FIT + (1.0 - OTHER_FIT) * confidence
        else:
            weight = config.detected_type_factor * confidence
        weights[slug] = max(weights.get(slug, 0.0), weight)
    # "other", declared or not, keeps the neutral floor
    weights[OTHER] = 1.0 if declared == OTHER else 0.0
    return weights


def _theme_weights(p: Posting, config: FeatureConfig) -> dict[str, float]:
    weights = {t: 1.0 for t in p.themes}
    for slug, confidence in (p.detected_themes or {}).items():
        weights[slug] = max(weights.get(slug, 0.0), config.detected_theme_factor * confidence)
    return weights


def _languages(p: Posting) -> set[str]:
    langs = {lang.lower() for lang in p.languages if lang}
    if not langs and p.text_language:
        langs = {p.text_language}
    return langs


def _ordinal(d: date | None, default: int) -> int:
    return d.toordinal() if d else default


class CandidatePool:
    """Candidate postings as arrays, built once and reused for every query against them.

    Building costs a Python loop over the postings (about 1 s per 100,000); ranking against a
    built pool is pure numpy.
    """

    def __init__(
        self,
        postings: Sequence[Posting],
        matrix: np.ndarray | None = None,
        config: FeatureConfig = DEFAULT_CONFIG,
    ):
        self.postings = list(postings)
        self.config = config
        n = len(self.postings)
        self.ids = [p.id for p in self.postings]
        for p in self.postings:
            analyse(p)
        if matrix is None:
            matrix = np.zeros((n, 1), dtype=np.float32)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if self.matrix.shape[0] != n:
            raise ValueError(f"{n} postings but {self.matrix.shape[0]} vectors")
        self.directions = np.array([p.direction for p in self.postings])

        self.type_index = {t: i for i, t in enumerate(COOPERATION_TYPES)}
        for p in self.postings:
            for t in [p.cooperation_type, *(p.detected_types or {})]:
                if t and t not in self.type_index:
                    self.type_index[t] = len(self.type_index)
        self.type_weights = np.zeros((n, len(self.type_index)), dtype=np.float32)
        for i, p in enumerate(self.postings):
            for t, w in _type_weights(p, config).items():
                self.type_weights[i, self.type_index[t]] = w

        theme_rows = [_theme_weights(p, config) for p in self.postings]
        self.theme_index = _index(t for row in theme_rows for t in row)
        themes = _dense(theme_rows, self.theme_index)
        declared = _dense([{t: 1.0 for t in p.themes} for p in self.postings], self.theme_index)
        df = (declared > 0).sum(axis=0)
        self.theme_idf = (
            (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
            if config.theme_idf
            else np.ones(len(self.theme_index), dtype=np.float32)
        )
        self.themes = themes * self.theme_idf
        self.theme_norms = np.linalg.norm(self.themes, axis=1)
        self.theme_sums = self.themes.sum(axis=1)

        self.objective_index = _index(o for p in self.postings for o in p.objectives)
        self.objectives = _dense(
            [{o: 1.0 for o in p.objectives} for p in self.postings], self.objective_index
        )
        self.objective_counts = self.objectives.sum(axis=1)

        lang_sets = [_languages(p) for p in self.postings]
        self.language_index = _index(lang for s in lang_sets for lang in s)
        self.languages = _dense([{lang: 1.0 for lang in s} for s in lang_sets], self.language_index)
        self.has_language = self.languages.sum(axis=1) > 0

        self.starts = np.array([_ordinal(p.starts_on, _FAR_PAST) for p in self.postings], dtype=np.int64)
        self.ends = np.array([_ordinal(p.ends_on, _FAR_FUTURE) for p in self.postings], dtype=np.int64)
        self.has_dates = np.array([bool(p.starts_on or p.ends_on) for p in self.postings])

    def __len__(self) -> int:
        return len(self.postings)


def _index(items) -> dict[str, int]:
    index: dict[str, int] = {}
    for item in items:
        if item not in index:
            index[item] = len(index)
    return index


def _dense(rows: list[dict[str, float]], index: dict[str, int]) -> np.ndarray:
    out = np.zeros((len(rows), max(len(index), 1)), dtype=np.float32)
    for i, row in enumerate(rows):
        for key, value in row.items():
            out[i, index[key]] = value
    return out[:, : len(index)] if index else out[:, :0]


# --------------------------------------------------------------------------- features


def compute_features(
    query: Posting,
    pool: CandidatePool,
    query_vector: np.ndarray | None = None,
    lexical_scores: np.ndarray | None = None,
) -> np.ndarray:
    """The (n, len(FEATURES)) matrix of features of every candidate of the pool for the query."""
    config = pool.config
    analyse(query)
    n = len(pool)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if n == 0:
        return out

    if query_vector is not None and pool.matrix.shape[1] == np.asarray(query_vector).shape[-1]:
        out[:, 0] = np.clip(pool.matrix @ np.asarray(query_vector, dtype=np.float32).ravel(), 0.0, 1.0)
    if lexical_scores is not None:
        out[:, 1] = np.clip(np.asarray(lexical_scores, dtype=np.float32), 0.0, 1.0)

    out[:, 2] = _type_feature(query, pool)

    q_themes = np.zeros(len(pool.theme_index), dtype=np.float32)
    extra = 0.0
    for t, w in _theme_weights(query, config).items():
        if t in pool.theme_index:
            q_themes[pool.theme_index[t]] = w
        else:
            extra += w * w  # a theme no candidate has still counts in the query's size
    q_themes *= pool.theme_idf
    if pool.themes.shape[1] and q_themes.any():
        if config.theme_similarity == "cosine":
            q_norm = math.sqrt(float(q_themes @ q_themes) + extra)
            out[:, 3] = (pool.themes @ q_themes) / np.maximum(pool.theme_norms * q_norm, 1e-9)
        else:
            shared = np.minimum(pool.themes, q_themes).sum(axis=1)
            q_sum = float(q_themes.sum()) + math.sqrt(extra)
            out[:, 3] = shared / np.maximum(np.minimum(pool.theme_sums, q_sum), 1e-9)

    q_obj = np.zeros(len(pool.objective_index), dtype=np.float32)
    for o in query.objectives:
        if o in pool.objective_index:
            q_obj[pool.objective_index[o]] = 1.0
    if query.objectives and pool.objectives.shape[1]:
        shared = pool.objectives @ q_obj
        out[:, 4] = shared / np.maximum(np.minimum(pool.objective_counts, len(set(query.objectives))), 1.0)

    q_langs = _languages(query)
    if q_langs:
        q_lang = np.zeros(len(pool.language_index), dtype=np.float32)
        for lang in q_langs:
            if lang in pool.language_index:
                q_lang[pool.language_index[lang]] = 1.0
        common = (pool.languages @ q_lang) > 0 if pool.languages.shape[1] else np.zeros(n, dtype=bool)
        out[:, 5] = np.where(pool.has_language, common.astype(np.float32), config.unknown_language)
    else:
        out[:, 5] = config.unknown_language

    if query.starts_on or query.ends_on:
        q_start = _ordinal(query.starts_on, _FAR_PAST)
        q_end = _ordinal(query.ends_on, _FAR_FUTURE)
        overlap = np.maximum(pool.starts, q_start) <= np.minimum(pool.ends, q_end)
        out[:, 6] = np.where(pool.has_dates, overlap.astype(np.float32), 0.5)
    else:
        out[:, 6] = 0.5
    return out


def _type_feature(query: Posting, pool: CandidatePool) -> np.ndarray:
    """max over (query type a, candidate type b) of w_q(a) * w_c(b) * fit(a, b), vectorised."""
    types = list(pool.type_index)
    q_weights = _type_weights(query, pool.config)
    query_is_request = query.direction == "request"
    best_for = np.zeros(len(types), dtype=np.float32)  # best_for[b] = max_a w_q(a) * fit(a, b)
    for b, cand_type in enumerate(types):
        best = 0.0
        for q_type, w in q_weights.items():
            if w <= 0:
                continue
            fit = type_fit(q_type, cand_type) if query_is_request else type_fit(cand_type, q_type)
            best = max(best, w * fit)
        best_for[b] = best
    return (pool.type_weights * best_for).max(axis=1)


# --------------------------------------------------------------------------- ranking

_LANGUAGE = FEATURES.index("language")


def blend(features: np.ndarray, weights: Weights = WEIGHTS) -> np.ndarray:
    """Scores in [0, 1] from rows of ``compute_features``.

    The weighted mean of the features, then scaled down when there is no common working
    language: a language is not a reason to recommend an unrelated posting, but it does make
    a related one less useful, so it multiplies rather than adds.
    """
    w = weights.vector()
    w[_LANGUAGE] = 0.0
    base = (features @ w) / (float(w.sum()) or 1.0)
    return base * (1.0 - weights.language * (1.0 - features[:, _LANGUAGE]))


def rank(
    query: Posting,
    candidates: CandidatePool | Sequence[Posting],
    query_vector: np.ndarray | None = None,
    candidate_matrix: np.ndarray | None = None,
    lexical_scores: np.ndarray | None = None,
    weights: Weights = WEIGHTS,
    limit: int = 10,
    lexical_index=None,
    mask: np.ndarray | None = None,
) -> list[Result]:
    """The ``limit`` best candidates for ``query``, best first, each with its score and reasons.

    ``candidates`` is a CandidatePool (fast: build it once) or a list of Postings with their
    vectors in ``candidate_matrix`` (rows aligned). ``lexical_scores`` are aligned with the
    candidates (LexicalIndex.score when the index was fitted on the pool's postings in order,
    else LexicalIndex.score_ids). ``mask`` (booleans aligned with the candidates) keeps only the
    rows the hard filters let through. Pass ``lexical_index`` to name the shared key words.
    """
    pool = (
        candidates if isinstance(candidates, CandidatePool) else CandidatePool(candidates, candidate_matrix)
    )
    if len(pool) == 0 or limit <= 0:
        return []
    feats = compute_features(query, pool, query_vector, lexical_scores)
    scores = blend(feats, weights)
    rows = np.arange(len(pool)) if mask is None else np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(rows) == 0:
        return []
    k = min(limit, len(rows))
    if k < len(rows):
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    rows = rows[np.lexsort((rows, -scores[rows]))]  # best first, ties in pool order
    results = []
    for i in rows:
        cand = pool.postings[int(i)]
        row = dict(zip(FEATURES, (float(x) for x in feats[i]), strict=True))
        results.append(
            Result(
                id=cand.id,
                score=round(float(scores[i]), 4),
                reasons=explain(query, cand, row, lexical_index=lexical_index, config=pool.config),
                features=row,
            )
        )
    return results


# --------------------------------------------------------------------------- reasons


def _label(slug: str) -> str:
    return slug.replace("_", " ")


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "ar": "Arabic",
    "ru": "Russian",
    "zh": "Chinese",
    "de": "German",
    "it": "Italian",
    "nl": "Dutch",
    "ja": "Japanese",
}


def _matched_types(request: Posting, offer: Posting, config: FeatureConfig) -> tuple[str, str]:
    """The (request type, offer type) pair, declared or read from the text, that gave the type fit."""
    best, pair = -1.0, (request.cooperation_type or OTHER, offer.cooperation_type or OTHER)
    for a, wa in _type_weights(request, config).items():
        for b, wb in _type_weights(offer, config).items():
            value = wa * wb * type_fit(a, b)
            if value > best + 1e-9:
                best, pair = value, (a, b)
    return pair


def explain(
    query: Posting,
    cand: Posting,
    row: dict[str, float],
    lexical_index=None,
    config: FeatureConfig = DEFAULT_CONFIG,
) -> dict:
    """The reasons of one result, as data and as sentences a person can read."""
    request, offer = (query, cand) if query.direction == "request" else (cand, query)
    declared_fit = type_fit(request.cooperation_type, offer.cooperation_type)
    read_request_type, read_offer_type = _matched_types(request, offer, config)
    shared_themes = sorted(set(query.themes) & set(cand.themes))
    read_themes = sorted(
        (set(query.detected_themes or {}) | set(query.themes))
        & (set(cand.detected_themes or {}) | set(cand.themes)) - set(shared_themes)
    )
    shared_objectives = sorted(set(query.objectives) & set(cand.objectives))
    q_langs, c_langs = _languages(query), _languages(cand)
    common_languages = sorted(q_langs & c_langs)
    if (query.starts_on or query.ends_on) and (cand.starts_on or cand.ends_on):
        dates_overlap: bool | None = bool(row["dates"] >= 1.0)
    else:
        dates_overlap = None

    summary = []
    if row["semantic"] >= 0.5:
        summary.append("The two descriptions are close in meaning")
    elif row["semantic"] >= 0.35:
        summary.append("The two descriptions are related in meaning")
    terms = _shared_terms(lexical_index, query, cand)
    if terms:
        summary.append("Uses the same key words: " + ", ".join(terms))
    req_t, off_t = request.cooperation_type or OTHER, offer.cooperation_type or OTHER
    if row["type"] >= 0.95 and req_t == off_t:
        summary.append(f"Same kind of cooperation: {_label(req_t)}")
    elif row["type"] >= 0.6:
        if declared_fit >= 0.6:
            summary.append(f"A {_label(off_t)} offer usually serves a {_label(req_t)} request")
        else:
            readings = []
            if read_request_type != req_t:
                readings.append(
                    f"the request reads as {_label(read_request_type)} (declared {_label(req_t)})"
                )
            if read_offer_type != off_t:
                readings.append(f"the offer reads as {_label(read_offer_type)} (declared {_label(off_t)})")
            summary.append(("; ".join(readings) or "The kinds of cooperation are compatible").capitalize())
    elif row["type"] < 0.3:
        summary.append(f"Different kinds of cooperation: {_label(req_t)} request, {_label(off_t)} offer")
    if shared_themes:
        summary.append("Shares themes: " + ", ".join(_label(t) for t in shared_themes))
    elif read_themes:
        summary.append("Both texts deal with " + ", ".join(_label(t) for t in read_themes))
    if shared_objectives:
        summary.append("Serves the same strategic-plan objectives: " + ", ".join(shared_objectives))
    if common_languages:
        names = [LANGUAGE_NAMES.get(lang, lang) for lang in common_languages]
        summary.append("Both work in " + " and ".join(names))
    elif q_langs and c_langs:
        summary.append("No common working language")
    if dates_overlap is True:
        summary.append("Their periods overlap")
    elif dates_overlap is False:
        summary.append("Their periods do not overlap")

    return {
        "semantic": round(row["semantic"], 4),
        "lexical": round(row["lexical"], 4),
        "type_fit": round(row["type"], 4),
        "request_type": req_t,
        "offer_type": off_t,
        "declared_type_fit": declared_fit,
        "matched_types": [read_request_type, read_offer_type],
        "shared_themes": shared_themes,
        "shared_objectives": shared_objectives,
        "common_languages": common_languages,
        "dates_overlap": dates_overlap,
        "shared_terms": terms,
        "features": {k: round(v, 4) for k, v in row.items()},
        "summary": summary,
    }


def _shared_terms(lexical_index, query: Posting, cand: Posting, k: int = 5) -> list[str]:
    if lexical_index is None or not getattr(lexical_index, "fitted", False):
        return []
    return lexical_index.shared_terms(
        f"{query.title}. {query.description}", f"{cand.title}. {cand.description}", k=k
    )


# --------------------------------------------------------------------------- learning the blend


def learn_weights(feature_rows: np.ndarray, accepted: np.ndarray, min_examples: int = 50) -> Weights | None:
    """Weights learned from recorded outcomes: rows of ``compute_features``, 1 accepted, 0 declined.

    A logistic regression; negative coefficients are clipped to zero (every feature is meant to
    help), and the weights are scaled to sum to 1. None when there are too few examples or only
    one kind of outcome.
    """
    from sklearn.linear_model import LogisticRegression

    X = np.asarray(feature_rows, dtype=np.float64)
    y = np.asarray(accepted).astype(int)
    if len(y) < min_examples or len(set(y.tolist())) < 2:
        return None
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    coef = np.clip(model.coef_.ravel(), 0.0, None)
    if coef.sum() <= 0:
        return None
    coef = coef / coef.sum()
    return Weights.from_dict(dict(zip(FEATURES, coef.tolist(), strict=True)))
