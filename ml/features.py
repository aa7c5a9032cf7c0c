"""What ranking compares: a profile of each opportunity, candidate pools as arrays, and features.

Every feature is a number in [0, 1] for each candidate, computed for all candidates of a pool at
once with numpy. Cooperation types are always compared as (request type, offer type), so the
features work both ways: for a request the candidates are offers, for an offer they are requests.

A profile carries what was read from its text when it was written (its language, and the types
and themes it speaks of, see ``ml.vocabulary.TermDetector``): ranking reads no text itself.

The structured needs (budget, level, duration, expected outputs, costs covered) are optional: the
``structured`` feature is the mean fit of those both sides gave, and NaN where they share none, so
that it counts only where both sides gave something to compare (``ml.ranking.blend``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ml.embeddings import rescale
from ml.rows import Rows
from ml.vocabulary import OTHER, Vocabulary

FEATURES = ("semantic", "lexical", "type", "themes", "objectives", "language", "dates", "structured")


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
    # structured needs, each optional: a budget range in whole units of a currency (an offer's per
    # partner), the level ("national", "regional", "global"), the duration in months, the outputs
    # expected (outcome indicator keys) and the costs covered (an offer) or to be covered (a request)
    budget_min: float | None = None
    budget_max: float | None = None
    budget_currency: str = ""
    level: str = ""
    duration_months: int | None = None
    expected_outputs: list[str] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- structured needs

STRUCTURED_PARTS = ("budget", "level", "duration", "expected_outputs", "covers")


def has_budget(p: Profile) -> bool:
    return bool(p.budget_currency) and (p.budget_min is not None or p.budget_max is not None)


def budget_bounds(p: Profile) -> tuple[float, float]:
    """The budget as a closed range: no smallest amount is 0, no largest is unbounded."""
    low = float(p.budget_min) if p.budget_min is not None else 0.0
    high = float(p.budget_max) if p.budget_max is not None else math.inf
    return low, high


def overlap_coefficient(a: Sequence[str], b: Sequence[str]) -> float:
    """Shared values over the size of the smaller set (1 when one contains the other)."""
    a, b = set(a), set(b)
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def structured_parts(query: Profile, cand: Profile) -> dict[str, float]:
    """The fit of each structured need that both sides gave (budgets only in the same currency), in
    [0, 1]: the budget ranges overlap, the level is the same, the shorter duration over the longer,
    the overlap coefficient of the expected outputs and of the costs covered. Needs either side left
    empty are absent. ``compute_features`` computes the same for a whole pool at once."""
    parts: dict[str, float] = {}
    if has_budget(query) and has_budget(cand) and query.budget_currency == cand.budget_currency:
        (q_low, q_high), (c_low, c_high) = budget_bounds(query), budget_bounds(cand)
        parts["budget"] = float(c_low <= q_high and q_low <= c_high)
    if query.level and cand.level:
        parts["level"] = float(query.level == cand.level)
    if query.duration_months and cand.duration_months:
        shorter, longer = sorted((query.duration_months, cand.duration_months))
        parts["duration"] = shorter / longer
    for name in ("expected_outputs", "covers"):
        if getattr(query, name) and getattr(cand, name):
            parts[name] = overlap_coefficient(getattr(query, name), getattr(cand, name))
    return parts


def structured_fit(query: Profile, cand: Profile) -> float:
    """The mean of ``structured_parts``; NaN when the two sides share no structured need."""
    parts = structured_parts(query, cand)
    return sum(parts.values()) / len(parts) if parts else math.nan


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
    """Candidates as arrays, one row per position, ranked against with numpy alone.

    Rows are put, replaced and dropped one at a time (``put``, ``drop``), at positions the caller
    chooses, so that a change to a few candidates costs those rows; a dropped row is never ranked.
    What depends on all rows together (the rarity of each theme) is computed again when first needed
    after a change. ``matrix`` holds the vectors, row by row (no columns until a vector is given).
    """

    def __init__(self, vocabulary: Vocabulary, config: FeatureConfig = DEFAULT_CONFIG, dim: int = 0):
        self.vocabulary = vocabulary
        self.config = config
        self.type_index = {t: i for i, t in enumerate(vocabulary.types)}
        self.theme_index = {t: i for i, t in enumerate(vocabulary.themes)}
        self.objective_index: dict[str, int] = {}
        self.language_index: dict[str, int] = {}
        self.rows = Rows()
        self.rows.add("alive", bool, fill=False)
        self.rows.add("key", object, fill=None)
        self.rows.add("tie", np.int64)  # ties are broken by this: the key when it is a number
        self.rows.add("matrix", np.float32, width=dim)
        self.rows.add("text_languages", "U8", fill="")  # fixed width: compared in C, not in Python
        self.rows.add("type_weights", np.float32, width=len(self.type_index))
        self.rows.add("theme_weights", np.float32, width=len(self.theme_index))
        self.rows.add("declared_themes", bool, width=len(self.theme_index), fill=False)
        self.rows.add("objectives", np.float32, width=0)
        self.rows.add("languages", np.float32, width=0)
        self.rows.add("starts", np.int64, fill=_FAR_PAST)
        self.rows.add("ends", np.int64, fill=_FAR_FUTURE)
        self.rows.add("has_dates", bool, fill=False)
        # structured needs: "" / 0 / empty where not given
        self.output_index: dict[str, int] = {}
        self.cover_index: dict[str, int] = {}
        self.rows.add("budget_currency", "U3", fill="")
        self.rows.add("budget_low", np.float64, fill=0.0)
        self.rows.add("budget_high", np.float64, fill=np.inf)
        self.rows.add("level", "U8", fill="")
        self.rows.add("duration", np.float32, fill=0.0)
        self.rows.add("expected_outputs", np.float32, width=0)
        self.rows.add("covers", np.float32, width=0)
        self._themes = None  # derived from every row: computed again after a change

    @classmethod
    def of(
        cls,
        profiles: Sequence[Profile],
        matrix: np.ndarray | None,
        vocabulary: Vocabulary,
        config: FeatureConfig = DEFAULT_CONFIG,
    ) -> CandidatePool:
        """A pool of the given profiles at positions 0..n-1 (``matrix``: their vectors, or None)."""
        if matrix is not None and len(matrix) != len(profiles):
            raise ValueError(f"{len(profiles)} profiles but {len(matrix)} vectors")
        pool = cls(vocabulary, config, dim=0 if matrix is None else np.asarray(matrix).shape[1])
        pool.put(range(len(profiles)), profiles, matrix)
        return pool

    def __len__(self) -> int:
        return self.rows.size

    # ------------------------------------------------------------------------------- changes

    def put(self, positions, profiles: Sequence[Profile], vectors: np.ndarray | None = None) -> None:
        """Writes the profiles (and their vectors, when given) at the given positions."""
        positions = [int(p) for p in positions]
        if not positions:
            return
        rows, config, vocabulary = self.rows, self.config, self.vocabulary
        profiles = list(profiles)
        types = [type_weights(p, config, vocabulary) for p in profiles]
        themes = [theme_weights(p, config) for p in profiles]
        languages = [working_languages(p) for p in profiles]
        # columns first (a new one widens its array), then the rows
        for row in types:
            for t in row:
                self._column("type_weights", self.type_index, t)
        for row in themes:
            for t in row:
                self._column("theme_weights", self.theme_index, t, also=("declared_themes",))
        for p in profiles:
            for o in p.objectives:
                self._column("objectives", self.objective_index, o)
        for row in languages:
            for lang in row:
                self._column("languages", self.language_index, lang)
        for p in profiles:
            for key in p.expected_outputs:
                self._column("expected_outputs", self.output_index, key)
            for key in p.covers:
                self._column("covers", self.cover_index, key)
        rows.grow(max(positions) + 1)
        rows.reset(positions)
        type_index, theme_index = self.type_index, self.theme_index
        objective_index, language_index = self.objective_index, self.language_index
        type_rows, theme_rows = rows.full("type_weights"), rows.full("theme_weights")
        declared, objective_rows = rows.full("declared_themes"), rows.full("objectives")
        language_rows = rows.full("languages")
        for position, p, type_row, theme_row, language_set in zip(
            positions, profiles, types, themes, languages, strict=True
        ):
            for t, w in type_row.items():
                type_rows[position, type_index[t]] = w
            for t, w in theme_row.items():
                theme_rows[position, theme_index[t]] = w
            for t in p.themes:
                declared[position, theme_index[t]] = True
            for o in p.objectives:
                objective_rows[position, objective_index[o]] = 1.0
            for lang in language_set:
                language_rows[position, language_index[lang]] = 1.0
        self._put_needs(positions, profiles)
        at = np.asarray(positions, dtype=np.int64)
        rows.full("alive")[at] = True
        keys = np.empty(len(profiles), dtype=object)
        keys[:] = [p.id for p in profiles]
        rows.full("key")[at] = keys
        rows.full("tie")[at] = [
            p.id if isinstance(p.id, (int, np.integer)) else i for i, p in zip(at, profiles, strict=True)
        ]
        rows.full("text_languages")[at] = [p.text_language or "" for p in profiles]
        rows.full("starts")[at] = [_ordinal(p.starts_on, _FAR_PAST) for p in profiles]
        rows.full("ends")[at] = [_ordinal(p.ends_on, _FAR_FUTURE) for p in profiles]
        rows.full("has_dates")[at] = [bool(p.starts_on or p.ends_on) for p in profiles]
        if vectors is not None:
            self.set_vectors(positions, vectors)
        self._themes = None

    def _put_needs(self, positions: list[int], profiles: list[Profile]) -> None:
        """Writes the structured needs of the rows that have any (the others keep the fill values
        that ``put`` reset them to: most postings give none)."""
        rows = self.rows
        for position, p in zip(positions, profiles, strict=True):
            if not (p.level or p.duration_months or p.expected_outputs or p.covers or has_budget(p)):
                continue
            if has_budget(p):
                rows.full("budget_currency")[position] = p.budget_currency
                rows.full("budget_low")[position], rows.full("budget_high")[position] = budget_bounds(p)
            rows.full("level")[position] = p.level or ""
            rows.full("duration")[position] = p.duration_months or 0
            for key in p.expected_outputs:
                rows.full("expected_outputs")[position, self.output_index[key]] = 1.0
            for key in p.covers:
                rows.full("covers")[position, self.cover_index[key]] = 1.0

    def set_vectors(self, positions, vectors: np.ndarray) -> None:
        """Writes vectors at the given positions (zeros: no vector)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or not len(vectors):
            return
        if self.rows.width("matrix") == 0:
            self.rows.widen("matrix", vectors.shape[1])
        if vectors.shape[1] != self.rows.width("matrix"):
            raise ValueError(f"vectors of {vectors.shape[1]} values in a pool of {self.rows.width('matrix')}")
        self.rows.full("matrix")[np.asarray(list(positions), dtype=np.int64)] = vectors

    def drop(self, positions) -> None:
        """Empties the given positions: they are never ranked again until something is put there."""
        positions = [int(p) for p in positions if int(p) < self.rows.size]
        if positions:
            self.rows.reset(positions)
            self._themes = None

    def _column(self, name: str, index: dict[str, int], key: str, also: tuple[str, ...] = ()) -> int:
        if key not in index:
            index[key] = len(index)
            for array in (name, *also):
                self.rows.widen(array, len(index))
        return index[key]

    # ------------------------------------------------------------------------------- reading

    @property
    def alive(self) -> np.ndarray:
        return self.rows["alive"]

    @property
    def keys(self) -> np.ndarray:
        return self.rows["key"]

    @property
    def tie(self) -> np.ndarray:
        return self.rows["tie"]

    @property
    def matrix(self) -> np.ndarray:
        return self.rows["matrix"]

    @property
    def text_languages(self) -> np.ndarray:
        return self.rows["text_languages"]

    @property
    def type_weights(self) -> np.ndarray:
        return self.rows["type_weights"]

    @property
    def objectives(self) -> np.ndarray:
        return self.rows["objectives"]

    @property
    def objective_counts(self) -> np.ndarray:
        return self.objectives.sum(axis=1)

    @property
    def languages(self) -> np.ndarray:
        return self.rows["languages"]

    @property
    def has_language(self) -> np.ndarray:
        return self.languages.any(axis=1)

    @property
    def starts(self) -> np.ndarray:
        return self.rows["starts"]

    @property
    def ends(self) -> np.ndarray:
        return self.rows["ends"]

    @property
    def has_dates(self) -> np.ndarray:
        return self.rows["has_dates"]

    @property
    def budget_currencies(self) -> np.ndarray:
        return self.rows["budget_currency"]

    @property
    def budget_low(self) -> np.ndarray:
        return self.rows["budget_low"]

    @property
    def budget_high(self) -> np.ndarray:
        return self.rows["budget_high"]

    @property
    def levels(self) -> np.ndarray:
        return self.rows["level"]

    @property
    def durations(self) -> np.ndarray:
        return self.rows["duration"]

    @property
    def theme_idf(self) -> np.ndarray:
        return self._theme_arrays()[0]

    @property
    def themes(self) -> np.ndarray:
        return self._theme_arrays()[1]

    @property
    def theme_norms(self) -> np.ndarray:
        return self._theme_arrays()[2]

    @property
    def theme_sums(self) -> np.ndarray:
        return self._theme_arrays()[3]

    def _theme_arrays(self):
        """(idf of each theme over the declared themes of the pool, weighted theme rows, their norms,
        their sums), computed again after a change."""
        if self._themes is None or self._themes[1].shape[0] != len(self):
            declared = self.rows["declared_themes"]
            n = int(self.alive.sum())
            if self.config.theme_idf:
                df = declared[self.alive].sum(axis=0)
                idf = (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
            else:
                idf = np.ones(declared.shape[1], dtype=np.float32)
            themes = self.rows["theme_weights"] * idf
            self._themes = (idf, themes, np.linalg.norm(themes, axis=1), themes.sum(axis=1))
        return self._themes


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
    out = np.zeros((n, len(FEATURES)), dtype=np.float32, order="F")  # written column by column
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

    out[:, 7] = _structured_feature(query, pool)
    return out


def _structured_feature(query: Profile, pool: CandidatePool) -> np.ndarray:
    """``structured_fit`` of every candidate, vectorised: the mean fit of the needs both sides gave,
    NaN where they share none."""
    n = len(pool)
    total = np.zeros(n, dtype=np.float64)
    given = np.zeros(n, dtype=np.int64)
    if has_budget(query):
        low, high = budget_bounds(query)
        both = pool.budget_currencies == query.budget_currency
        overlap = (pool.budget_low <= high) & (low <= pool.budget_high)
        total += both & overlap
        given += both
    if query.level:
        both = pool.levels != ""
        total += both & (pool.levels == query.level)
        given += both
    if query.duration_months:
        durations = pool.durations.astype(np.float64)
        both = durations > 0
        q = float(query.duration_months)  # at least 1: the longer of the two is never 0
        total += np.where(both, np.minimum(durations, q) / np.maximum(durations, q), 0.0)
        given += both
    for name, index in (("expected_outputs", pool.output_index), ("covers", pool.cover_index)):
        chosen = set(getattr(query, name))
        if not chosen:
            continue
        matrix = pool.rows[name]
        q_row = np.zeros(matrix.shape[1], dtype=np.float32)
        for key in chosen:
            if key in index:
                q_row[index[key]] = 1.0
        sizes = matrix.sum(axis=1)
        both = sizes > 0
        shared = matrix @ q_row if matrix.shape[1] else np.zeros(n, dtype=np.float32)
        total += np.where(both, shared / np.maximum(np.minimum(sizes, len(chosen)), 1.0), 0.0)
        given += both
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(given > 0, total / given, np.nan).astype(np.float32)


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
