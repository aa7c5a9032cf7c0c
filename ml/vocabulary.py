"""The controlled vocabularies as ranking knows them, built from data the caller passes in, and
reading from a text's meaning which of their terms it speaks of.

One object holds what ranking knows of the cooperation types and themes: the phrases that name
each of them in every language (labels, descriptions and synonyms), and how well offers of each
type serve requests of each type. The data lives in the project's data files
(``matchmaking/data/vocabularies.json``); this module only reads the structures it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.embeddings import rescale

OTHER = "other"  # the neutral cooperation type: people pick it loosely
KINDS = ("types", "themes")


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Types and themes with their phrases, and the type-fit table.

    ``phrases[kind][slug]`` are the words that name a term, in any language. ``served_by[request
    type][offer type]`` is how well offers of that type serve requests of that type, in [0, 1]; a
    pair not listed fits at ``unlisted_fit``, and ``other`` on either side at ``other_fit``.
    Compares by identity, so it can key caches.
    """

    types: Sequence[str]
    themes: Sequence[str]
    phrases: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    served_by: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    other_fit: float = 0.5
    unlisted_fit: float = 0.1

    @classmethod
    def from_data(
        cls, data: Mapping, synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None
    ) -> Vocabulary:
        """From the structure of vocabularies.json. ``synonyms`` ({slug: {language: phrases}}), when
        given, replaces the synonyms of the data (e.g. as staff edited them)."""

        def phrases(rows):
            table = {}
            for row in rows:
                if row["slug"] == OTHER:
                    continue  # "other" names no subject: nothing in a text can point to it
                by_language = (synonyms or {}).get(row["slug"], row.get("synonyms", {}))
                found = [*row["label"].values(), *row["description"].values()]
                found += [p for words in by_language.values() for p in words]
                table[row["slug"]] = list(dict.fromkeys(p.strip() for p in found if p and p.strip()))
            return table

        types, themes = data["cooperation_types"], data["themes"]
        return cls(
            types=[row["slug"] for row in types],
            themes=[row["slug"] for row in themes],
            phrases={"types": phrases(types), "themes": phrases(themes)},
            served_by={row["slug"]: dict(row["served_by"]) for row in types if row.get("served_by")},
            other_fit=float(data["type_fit"]["other"]),
            unlisted_fit=float(data["type_fit"]["unlisted"]),
        )

    def type_fit(self, request_type: str | None, offer_type: str | None) -> float:
        """How well an offer of ``offer_type`` serves a request of ``request_type``, in [0, 1]."""
        request_type = request_type or OTHER
        offer_type = offer_type or OTHER
        if request_type == OTHER or offer_type == OTHER:
            return self.other_fit
        return self.served_by.get(request_type, {}).get(offer_type, self.unlisted_fit)


@dataclass(frozen=True)
class DetectionConfig:
    """How a similarity becomes a confidence that a text speaks of a term (measured offline, see
    docs/matching.md): the best phrase of each term is compared with the text; terms within
    ``margin`` of the text's best term count, with a confidence rising linearly from 0 at ``floor``
    to 1 at ``ceiling``."""

    floor: float = 0.25  # at or below this similarity a phrase says nothing of the text
    ceiling: float = 0.6  # at or above it, the text certainly speaks of the term
    margin: float = 0.1  # how far below the best term another term may still count
    top: int = 3  # at most this many terms of a kind per text


DEFAULT_DETECTION = DetectionConfig()


class TermDetector:
    """Reads which cooperation types and themes a text speaks of, by meaning: the text's vector
    against the vectors of every term's phrases (labels, descriptions and synonyms in every
    language), so that it works in any language the embedding model knows, with no word lists.

    ``encode`` is the embedding model's encode (texts -> L2-normalised rows); the phrases are
    encoded once, when the detector is made.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        encode,
        config: DetectionConfig = DEFAULT_DETECTION,
        cosine_floor: float = 0.0,
    ):
        self.config = config
        self.cosine_floor = cosine_floor
        self.slugs: dict[str, list[str]] = {}
        self.owners: dict[str, np.ndarray] = {}
        self.matrices: dict[str, np.ndarray] = {}
        for kind in KINDS:
            table = vocabulary.phrases.get(kind, {})
            slugs = list(table)
            texts = [phrase for slug in slugs for phrase in table[slug]]
            self.slugs[kind] = slugs
            self.owners[kind] = np.array(
                [i for i, slug in enumerate(slugs) for _ in table[slug]], dtype=np.int64
            )
            self.matrices[kind] = np.asarray(encode(texts), dtype=np.float32) if texts else np.zeros((0, 1))

    def similarities(self, kind: str, vector: np.ndarray) -> np.ndarray:
        """The best similarity of each term's phrases to the text (aligned with ``slugs[kind]``)."""
        matrix, owners = self.matrices[kind], self.owners[kind]
        best = np.full(len(self.slugs[kind]), -1.0, dtype=np.float32)
        if len(owners) and matrix.shape[1] == np.asarray(vector).shape[-1]:
            np.maximum.at(
                best, owners, rescale(matrix @ np.asarray(vector, dtype=np.float32), self.cosine_floor)
            )
        return best

    def detect(self, kind: str, vector: np.ndarray | None) -> dict[str, float]:
        """slug -> confidence in (0, 1] of the terms of ``kind`` ("types" or "themes") the text of
        ``vector`` speaks of; empty without a vector."""
        if vector is None or not np.asarray(vector).any():
            return {}
        config = self.config
        scores = self.similarities(kind, vector)
        if not len(scores):
            return {}
        best = float(scores.max())
        if best <= config.floor:
            return {}
        found = {}
        for i in np.argsort(-scores)[: config.top]:
            score = float(scores[i])
            if score <= config.floor or score < best - config.margin:
                break
            confidence = min(1.0, (score - config.floor) / (config.ceiling - config.floor))
            found[self.slugs[kind][i]] = round(confidence, 4)
        return found
