"""What ranking compares: a profile of each opportunity, candidate pools as arrays, and features.

Every feature is a number in [0, 1] for each candidate, computed for all candidates of a pool at
once with numpy. Cooperation types are always compared as (request type, offer type), so the
features work both ways: for a request the candidates are offers, for an offer they are requests.

A profile carries what was read from its text when it was written (its language, and the types
and themes it speaks of, see ``ml.vocabulary.TermDetector``): ranking reads no text itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ml.embeddings import rescale
from ml.vocabulary import OTHER, Vocabulary

FEATURES = ("semantic", "lexical", "type", "themes", "objectives", "language", "dates")


@dataclass(frozen=True)
class FeatureConfig:
    """How text-derived evidence is folded into the structured features (measured offline)."""

    detected_type_factor: float = 0.5  # a type read from the text counts this much of a declared one
    detected_theme_factor: float = 0.5  # likewise for themes
    theme_idf: bool = True  # a shared rare theme says more than a shared common one
    theme_similarity: str = "overlap"  # "overlap": shared / smaller set; "cosine"
    unknown_language: float = 0.5  # fit when either side lists no language
    cosine_floor: float = 0.0  # the embedding model's cosine of unrelated texts (ml.embeddings)


DEFAULT_CONFIG = FeatureConfig()


@dataclass
class Profile:
    """What ranking needs of an opportunity: what its author declared, and what was read from its
    text (``text_language``: ISO 639-1, "" when it could not be told; ``detected_*``: slug ->
    confidence)."""

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
    detected_types: dict[str, float] = field(default_factory=dict)
    detected_themes: dict[str, float] = field(default_factory=dict)
    text_language: str = ""


# --------------------------------------------------------------------------- candidate arrays

_FAR_PAST = -(10**7)
_FAR_FUTURE = 10**7


def type_weights(p: Profile, config: FeatureConfig, vocabulary: Vocabulary) -> dict[str, float]:
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
            weight = vocabulary.other_fit + (1.0 - vocabulary.other_fit) * confidence
        else:
            weight = config.detected_type_factor * confidence
        weights[slug] = max(weights.get(slug, 0.0), weight)
    # "other", declared or not, keeps the neutral floor
    weights[OTHER] = 1.0 if declared == OTHER else 0.0
    return weights


def theme_weights(p: Profile, config: FeatureConfig) -> dict[str, float]:
    weights = {t: 1.0 for t in p.themes}
    for slug, confidence in (p.detected_themes or {}).items():
        weights[slug] = max(weights.get(slug, 0.0), config.detected_theme_factor * confidence)
    return weights


def working_languages(p: Profile) -> set[str]:
    langs = {lang.lower() for lang in p.languages if lang}
    if not langs and p.text_language:
        langs = {p.text_language}
    return langs


def _ordinal(d: date | None, default: int) -> int:
    return d.toordinal() if d else default


class CandidatePool:
    """Candidate profiles as arrays, built once and reused for every query against them.

    Building costs a Python loop over the profiles (about 1 s per 100,000); ranking against a
    built pool is pure numpy. ``matrix`` holds their vectors, row by row.
    """

    def __init__(
        self,
        profiles: Sequence[Profile],
        matrix: np.ndarray | None,
        vocabulary: Vocabulary,
        config: FeatureConfig = DEFAULT_CONFIG,
    ):
        self.profiles = list(profiles)
        self.vocabulary = vocabulary
        self.config = config
        n = len(self.profiles)
        self.ids = [p.id for p in self.profiles]
        self.text_languages = np.array([p.text_language or "" for p in self.profiles], dtype=object)
        if matrix is None:
            matrix = np.zeros((n, 1), dtype=np.float32)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if self.matrix.shape[0] != n:
            raise ValueError(f"{n} profiles but {self.matrix.shape[0]} vectors")
        self.directions = np.array([p.direction for p in self.profiles])

        self.type_index = {t: i for i, t in enumerate(vocabulary.types)}
        for p in self.profiles:
            for t in [p.cooperation_type, *(p.detected_types or {})]:
                if t and t not in self.type_index:
                    self.type_index[t] = len(self.type_index)
        self.type_weights = np.zeros((n, len(self.type_index)), dtype=np.float32)
        for i, p in enumerate(self.profiles):
            for t, w in type_weights(p, config, vocabulary).items():
                self.type_weights[i, self.type_index[t]] = w

        theme_rows = [theme_weights(p, config) for p in self.profiles]
        self.theme_index = _index(t for row in theme_rows for t in row)
        themes = _dense(theme_rows, self.theme_index)
        declared = _dense([{t: 1.0 for t in p.themes} for p in self.profiles], self.theme_index)
        df = (declared > 0).sum(axis=0)
        self.theme_idf = (
            (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
            if config.theme_idf
            else np.ones(len(self.theme_index), dtype=np.float32)
        )
        self.themes = themes * self.theme_idf
        self.theme_norms = np.linalg.norm(self.themes, axis=1)
        self.theme_sums = self.themes.sum(axis=1)

        self.objective_index = _index(o for p in self.profiles for o in p.objectives)
        self.objectives = _dense(
            [{o: 1.0 for o in p.objectives} for p in self.profiles], self.objective_index
        )
        self.objective_counts = self.objectives.sum(axis=1)

        lang_sets = [working_languages(p) for p in self.profiles]
        self.language_index = _index(lang for s in lang_sets for lang in s)
        self.languages = _dense([{lang: 1.0 for lang in s} for s in lang_sets], self.language_index)
        self.has_language = self.languages.sum(axis=1) > 0

        self.starts = np.array([_ordinal(p.starts_on, _FAR_PAST) for p in self.profiles], dtype=np.int64)
        self.ends = np.array([_ordinal(p.ends_on, _FAR_FUTURE) for p in self.profiles], dtype=np.int64)
        self.has_dates = np.array([bool(p.starts_on or p.ends_on) for p in self.profiles])

    def __len__(self) -> int:
        return len(self.profiles)


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
    query: Profile,
    pool: CandidatePool,
    query_vector: np.ndarray | None = None,
    lexical_scores: np.ndarray | None = None,
) -> np.ndarray:
    """The (n, len(FEATURES)) matrix of features of every candidate of the pool for the query."""
    config = pool.config
    n = len(pool)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if n == 0:
        return out

    if query_vector is not None and pool.matrix.shape[1] == np.asarray(query_vector).shape[-1]:
        out[:, 0] = rescale(
            pool.matrix @ np.asarray(query_vector, dtype=np.float32).ravel(), config.cosine_floor
        )
    if lexical_scores is not None:
        out[:, 1] = np.clip(np.asarray(lexical_scores, dtype=np.float32), 0.0, 1.0)
    # Words meet only within a language: across languages the lexical view stands for the meaning,
    # so a pair is never penalised for being written in two languages.
    across = cross_language(query, pool)
    out[across, 1] = out[across, 0]

    out[:, 2] = _type_feature(query, pool)

    q_themes = np.zeros(len(pool.theme_index), dtype=np.float32)
    extra = 0.0
    for t, w in theme_weights(query, config).items():
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

    q_langs = working_languages(query)
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


def cross_language(query: Profile, pool: CandidatePool) -> np.ndarray:
    """Which candidates are written in another language than the query (known on both sides)."""
    if not query.text_language:
        return np.zeros(len(pool), dtype=bool)
    return (pool.text_languages != query.text_language) & (pool.text_languages != "")


def _type_feature(query: Profile, pool: CandidatePool) -> np.ndarray:
    """max over (query type a, candidate type b) of w_q(a) * w_c(b) * fit(a, b), vectorised."""
    types = list(pool.type_index)
    q_weights = type_weights(query, pool.config, pool.vocabulary)
    query_is_request = query.direction == "request"
    type_fit = pool.vocabulary.type_fit
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
