"""Bring French and Spanish texts into the English space of the model and of TF-IDF.

all-MiniLM-L6-v2 is an English model, and TF-IDF only matches identical words, so a French
request about "hébergement" would never meet an English offer of "hosting". This module:

- folds text (lower case, accents stripped, French elisions removed) so that spelling
  variants meet;
- detects whether a text is English, French or Spanish from its function words;
- writes an English *gloss* of a French or Spanish text with a domain glossary (phrases first,
  longest first; regular plurals added automatically) and drops the function words that are left;
- finds the phrases of a table (slug -> phrases, any language) in a text, for the cooperation
  types and themes it speaks of.

The glossaries and phrase tables are data, passed in (see ``ml.vocabulary``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

_ELISION = re.compile(r"\b(?:l|d|qu|n|s|j|m|c|t|jusqu|lorsqu|puisqu)'(?=\w)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_TOKEN = re.compile(r"\w+(?:-\w+)*|[.;:!?]")
_WORD = re.compile(r"\w+")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that only one of the three languages uses often: enough to tell them apart.
_MARKERS = {
    "en": _wordset(
        "the and of to is are for with our we this that from by an it be has have was "
        "which who their they can need needs"
    ),
    "fr": _wordset(
        "le les des du et est une pour dans nous notre nos avec sur pas qui au aux ce ces "
        "sont leur il elle ou plus son sa cette"
    ),
    "es": _wordset(
        "el los las del y es una para con por nuestro nuestra nuestros que se al lo "
        "más son su sus este esta como pero"
    ),
}


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, French elisions removed ("l'herbier" -> "herbier")."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_APOSTROPHES).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _ELISION.sub("", text)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def detect_language(text: str) -> str | None:
    """'en', 'fr' or 'es' by counting function words; None when there are too few to tell."""
    tokens = [w for w in re.findall(r"\w+", (text or "").lower())]
    counts = {lang: sum(1 for w in tokens if w in markers) for lang, markers in _MARKERS.items()}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return None
    return best


def _plural_fr(word: str) -> str:
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith("al"):
        return word[:-2] + "aux"
    if word.endswith(("eau", "au", "eu")):
        return word + "x"
    return word + "s"


def _plural_es(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("z"):
        return word[:-1] + "ces"
    if word[-1] in "aeiou":
        return word + "s"
    return word + "es"


_FUNCTION_WORDS = _wordset("de du des la le les el los las en y et a al d l del por para sur")


def _variants(phrase: str, plural) -> set[str]:
    """The phrase, its first word in the plural, and every content word in the plural."""
    parts = phrase.split()
    out = {phrase}
    if not parts:
        return out
    out.add(" ".join([plural(parts[0])] + parts[1:]))
    out.add(" ".join(p if p in _FUNCTION_WORDS or len(p) < 3 else plural(p) for p in parts))
    return out


def _parse(table: str) -> list[tuple[str, str]]:
    rows = []
    for line in table.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        source, target = (s.strip() for s in line.split("=", 1))
        rows.append((source, target))
    return rows


class Glossary:
    """A compiled phrase table for one language: ``table`` has one ``source = english`` entry a line
    (lines starting with # are comments), ``stopwords`` the function words dropped from the gloss."""

    def __init__(self, language: str, table: str, stopwords: str):
        plural = _PLURALS[language]
        self.language = language
        self.map: dict[str, str] = {}
        for source, target in _parse(table):
            key = " ".join(words(source))
            for variant in _variants(key, plural):
                # an explicit entry wins over a generated plural of another entry
                if variant == key or variant not in self.map:
                    self.map[variant] = target
        self.stopwords = frozenset(words(_uncommented(stopwords)))
        alternatives = sorted(self.map, key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in alternatives) + r")\b")

    def gloss(self, text: str) -> str:
        folded = re.sub(r"\s+", " ", fold(text))
        out: list[str] = []
        pos = 0
        for m in self.pattern.finditer(folded):
            out.extend(self._rest(folded[pos : m.start()]))
            out.append(self.map[m.group(0)])
            pos = m.end()
        out.extend(self._rest(folded[pos:]))
        return " ".join(out)

    def _rest(self, chunk: str) -> list[str]:
        # "lui-meme" goes when all its parts are function words
        return [t for t in _TOKEN.findall(chunk) if not all(p in self.stopwords for p in t.split("-"))]


_PLURALS = {"fr": _plural_fr, "es": _plural_es}


def _uncommented(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def english_gloss(text: str, glossaries: Mapping[str, Glossary], lang: str | None = None) -> str:
    """An English rendering of a French or Spanish text, word for word through its glossary.

    English text (or text of a language without a glossary) comes back folded but otherwise unchanged.
    """
    lang = lang or detect_language(text)
    table = glossaries.get(lang) if lang else None
    if table is None:
        return " ".join(_TOKEN.findall(fold(text)))
    return table.gloss(text)


def to_english(text: str, glossaries: Mapping[str, Glossary]) -> tuple[str, str | None]:
    """(text in English, detected language): the text itself when it has no glossary."""
    lang = detect_language(text)
    if lang in glossaries:
        return english_gloss(text, glossaries, lang), lang
    return text, lang


# --------------------------------------------------------------------------- types and themes


def compile_phrases(table: Mapping[str, Sequence[str]]) -> dict[str, re.Pattern]:
    """One pattern per slug that finds any of its phrases (folded, longest first) in folded text."""
    compiled = {}
    for slug, phrases in table.items():
        folded = sorted({" ".join(words(p)) for p in phrases} - {""}, key=len, reverse=True)
        if folded:
            compiled[slug] = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in folded) + r")\b")
    return compiled


def detect(text: str, title: str, patterns: Mapping[str, re.Pattern]) -> dict[str, float]:
    """The slugs whose phrases a text uses, slug -> confidence in (0, 1).

    Distinct phrases count, and a phrase in the title counts twice: "Hosting for ..." says more
    than one "hosting" in the fifth sentence.
    """
    body = " ".join(words(text))
    head = " ".join(words(title))
    scores = {}
    for slug, pattern in patterns.items():
        n = len(set(pattern.findall(body))) + 2 * len(set(pattern.findall(head)))
        if n:
            scores[slug] = round(1.0 - math.pow(0.5, n), 4)
    return scores
