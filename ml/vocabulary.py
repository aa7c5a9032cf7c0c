"""The controlled vocabularies as ranking knows them, built from data the caller passes in.

One object holds what ranking knows of the cooperation types and themes: the phrases that name
each of them (any language), how well offers of each type serve requests of each type, and the
glossaries that bring French and Spanish texts into English. The data lives in the project's
data files (``matchmaking/data/vocabularies.json`` and ``matchmaking/data/glossary/``); this module
only reads the structures it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ml.crosslingual import Glossary, compile_phrases, detect, to_english

OTHER = "other"  # the neutral cooperation type: people pick it loosely


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Types and themes with their phrases, the type-fit table and the glossaries.

    ``served_by[request type][offer type]`` is how well offers of that type serve requests of that
    type, in [0, 1]; a pair not listed fits at ``unlisted_fit``, and ``other`` on either side at
    ``other_fit``. Compares by identity, so it can key caches.
    """

    types: Sequence[str]
    themes: Sequence[str]
    type_phrases: Mapping[str, Sequence[str]] = field(default_factory=dict)
    theme_phrases: Mapping[str, Sequence[str]] = field(default_factory=dict)
    served_by: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    other_fit: float = 0.5
    unlisted_fit: float = 0.1
    glossaries: Mapping[str, Glossary] = field(default_factory=dict)

    @classmethod
    def from_data(
        cls,
        data: Mapping,
        glossaries: Mapping[str, Glossary] | None = None,
        synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ) -> Vocabulary:
        """From the structure of vocabularies.json. ``synonyms`` ({slug: {language: phrases}}), when
        given, replaces the synonyms of the data (e.g. as staff edited them)."""

        def phrases(rows):
            table = {}
            for row in rows:
                by_language = (synonyms or {}).get(row["slug"], row.get("synonyms", {}))
                table[row["slug"]] = sorted({p for words in by_language.values() for p in words})
            return table

        types, themes = data["cooperation_types"], data["themes"]
        return cls(
            types=[row["slug"] for row in types],
            themes=[row["slug"] for row in themes],
            type_phrases=phrases(types),
            theme_phrases=phrases(themes),
            served_by={row["slug"]: dict(row["served_by"]) for row in types if row.get("served_by")},
            other_fit=float(data["type_fit"]["other"]),
            unlisted_fit=float(data["type_fit"]["unlisted"]),
            glossaries=dict(glossaries or {}),
        )

    def type_fit(self, request_type: str | None, offer_type: str | None) -> float:
        """How well an offer of ``offer_type`` serves a request of ``request_type``, in [0, 1]."""
        request_type = request_type or OTHER
        offer_type = offer_type or OTHER
        if request_type == OTHER or offer_type == OTHER:
            return self.other_fit
        return self.served_by.get(request_type, {}).get(offer_type, self.unlisted_fit)

    def to_english(self, text: str) -> tuple[str, str | None]:
        """(text in English, detected language), through the glossaries."""
        return to_english(text, self.glossaries)

    @cached_property
    def _type_patterns(self):
        return compile_phrases(self.type_phrases)

    @cached_property
    def _theme_patterns(self):
        return compile_phrases(self.theme_phrases)

    def detect_types(self, text: str, title: str = "") -> dict[str, float]:
        """Cooperation types an English text speaks of, slug -> confidence in (0, 1)."""
        return detect(text, title, self._type_patterns)

    def detect_themes(self, text: str, title: str = "") -> dict[str, float]:
        """Themes an English text speaks of, slug -> confidence in (0, 1)."""
        return detect(text, title, self._theme_patterns)
