"""The passage of a text that answers a query, with the query's words marked where they occur.

A text is cut into sentences at the sentence terminators of Unicode's sentence-break property
(UAX #29: full stops, question and exclamation marks of every script, among them "。", "？" and
"؟"), read with the ``regex`` module; no list of any language's words or abbreviations. Each
sentence is scored by the query's words it holds, each weighed by its rarity (what a TF-IDF index
gives it), and, when the caller gives their vectors, by its meaning; the best one or two make the
passage. Words are compared folded (``ml.lexical.fold``) and reduced to their stem by the Snowball
stemmer of the text's language (PyStemmer: "webmestres" finds "webmestre"), and, in scripts
written without spaces, as the pairs of characters the lexical index reads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import regex
import Stemmer
from babel import Locale, UnknownLocaleError

from ml.lexical import fold, words

# A sentence ends after a terminator (and any closing quote or bracket) followed by white space; a
# full-width terminator ("。", "！", "？") ends one even when the next follows at once; so does a line break.
_SENTENCE_BREAK = regex.compile(
    r"(?<=[\p{SB=STerm}\p{SB=ATerm}]\p{SB=Close}*)\s+"
    r"|(?<=[[\p{SB=STerm}\p{SB=ATerm}]&&[\p{Ea=W}\p{Ea=F}]]\p{SB=Close}*)(?=\S)"
    r"|\s*\n\s*",
    flags=regex.VERSION1,
)
_TOKEN = regex.compile(r"\b\w\w+\b")
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]{2,}")
PASSAGE_CHARS = 240  # a passage longer than this is cut around its first marked word
ELLIPSIS = "…"


@dataclass(frozen=True)
class Part:
    """A piece of a passage: its text, and whether it is one of the query's words."""

    text: str
    marked: bool = False


def sentences(text: str) -> list[str]:
    """The sentences of a text, in order, without their surrounding white space."""
    return [s for s in (piece.strip() for piece in _SENTENCE_BREAK.split(text or "")) if s]


def query_words(query: str) -> list[str]:
    """The distinct folded words of a query (pairs of characters in unspaced scripts), in order."""
    return list(dict.fromkeys(words(query)))


@functools.cache
def _stemmer(language: str):
    """The Snowball stemmer of a language (ISO 639-1), named in English as Snowball names them; None
    when Snowball has none for it."""
    try:
        name = Locale.parse(language).english_name.lower()
    except (ValueError, UnknownLocaleError):
        return None
    return Stemmer.Stemmer(name) if name in Stemmer.algorithms() else None


@functools.lru_cache(maxsize=200_000)
def _key(language: str, word: str) -> str:
    """A word as it is compared in a text of ``language``: folded, and stemmed when it has more than
    three letters (the stem of a shorter word is most often another word)."""
    folded = fold(word)
    stemmer = _stemmer(language) if language else None
    return stemmer.stemWord(folded) if stemmer is not None and len(folded) > 3 else folded


class Matcher:
    """The words of a query, each with its weight, as they are looked for in a text of one language:
    folded and stemmed by that language's stemmer (a word of an unspaced script is a pair of
    characters, left as it is)."""

    def __init__(self, weighted: dict[str, float], language: str = ""):
        self.key = functools.partial(_key, language or "")
        self.weights: dict[str, float] = {}
        for word, weight in weighted.items():
            key = self.key(word)
            self.weights[key] = max(self.weights.get(key, 0.0), float(weight))
        self.total = sum(self.weights.values())

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every word of ``text`` that is one of the query's, and of every pair of
        characters of an unspaced script that is; overlapping and touching spans merged."""
        if not self.weights:
            return []
        found = []
        for token in _TOKEN.finditer(text):
            if self.key(token.group()) in self.weights:
                found.append(token.span())
                continue
            for run in _UNSPACED.finditer(token.group()):
                folded = fold(run.group())
                start = token.start() + run.start()
                found += [
                    (start + i, start + i + 2)
                    for i in range(len(folded) - 1)
                    if folded[i : i + 2] in self.weights
                ]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def coverage(self, sentence: str) -> float:
        """The share of the query's weight that the sentence's words carry: 1 when it holds every
        word of the query, 0 when it holds none."""
        if self.total <= 0:
            return 0.0
        held = {self.key(w) for w in words(sentence)} & self.weights.keys()
        return sum(self.weights[k] for k in held) / self.total


def choose(scores, lengths, limit: int = PASSAGE_CHARS, most: int = 2) -> list[int]:
    """The positions of the sentences that make the passage, in text order: the best, then the next
    best ones that score above zero while the passage stays within ``limit`` characters (at most
    ``most`` sentences). When none scores above zero, the first."""
    scores = np.asarray(scores, dtype=np.float32)
    if not len(scores):
        return []
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    chosen, size = [ranked[0]], lengths[ranked[0]]
    for i in ranked[1:most]:
        if scores[i] <= 0 or size + lengths[i] > limit:
            break
        chosen.append(i)
        size += lengths[i]
    return sorted(chosen)


def marked(text: str, matcher: Matcher) -> list[Part]:
    """The text as parts, the query's words marked."""
    parts, at = [], 0
    for start, end in matcher.spans(text):
        if start > at:
            parts.append(Part(text[at:start]))
        parts.append(Part(text[start:end], True))
        at = end
    if at < len(text):
        parts.append(Part(text[at:]))
    return parts


def shorten(text: str, matcher: Matcher, limit: int = PASSAGE_CHARS) -> str:
    """A sentence longer than ``limit`` characters cut to about that, around its first marked word,
    at white space, with an ellipsis where it was cut."""
    if len(text) <= limit:
        return text
    spans = matcher.spans(text)
    centre = spans[0][0] if spans else 0
    start = max(0, min(centre - limit // 3, len(text) - limit))
    end = start + limit
    if start > 0:
        space = text.find(" ", start, centre if spans else end)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", start + limit // 2, end)
        end = space if space != -1 else end
    return (ELLIPSIS if start > 0 else "") + text[start:end].strip() + (ELLIPSIS if end < len(text) else "")


def passage(candidates: list[str], chosen: list[int], matcher: Matcher) -> list[Part]:
    """The chosen sentences as one passage of parts, the query's words marked, with an ellipsis
    where sentences of the text were left out."""
    parts: list[Part] = []
    previous = -1
    for i in chosen:
        if i > previous + 1:
            parts.append(Part(ELLIPSIS + " " if not parts else " " + ELLIPSIS + " "))
        elif parts:
            parts.append(Part(" "))
        parts += marked(shorten(candidates[i], matcher), matcher)
        previous = i
    if chosen and previous < len(candidates) - 1:
        parts.append(Part(" " + ELLIPSIS))
    return parts
