"""TF-IDF similarity between texts written in the same language, with no word list of any language.

A text's terms are read once, when it is written (``text_terms``): its folded words (lower case,
accents stripped, so "hébergement" and "hebergement" meet) and their bigrams, hashed into a fixed
space of columns, with sublinear counts. They depend on nothing else, so they are stored with the
text and an index is put together from stored terms without reading any text again.

``LexicalIndex`` holds the terms of many texts, each at a position the caller chooses, and weighs
them by inverse document frequency over the texts it holds: words that every text uses weigh little.
Texts are added, replaced and removed one by one; the weights follow when enough changed.

Scripts written without spaces (Chinese, Japanese, Korean, Thai) are read as overlapping pairs of
characters, the usual unit of retrieval in those languages, so that two Chinese texts can share terms.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

N_COLUMNS = 2**20  # hashed term space: collisions are rare at the vocabulary sizes of this domain
_TOKEN = re.compile(r"\b\w\w+\b")
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_UNSPACED_RUN = re.compile(f"([{_UNSPACED}]+)")
_CONTENT_CACHE_SIZE = 20_000
# Shared words are named in the reasons only if fewer than this share of the texts use them.
SHARED_TERM_MAX_SHARE = 0.2
# The index's rows changed since its weights were computed are kept apart, and merged (weights
# computed again) when there are more than this share of the others, or MERGE_MAX_ROWS.
MERGE_SHARE = 0.1
MERGE_MAX_ROWS = 2_000


def fold(text: str) -> str:
    """Lower case, no accents ("Hébergement" -> "hebergement"); other scripts are left as they are."""
    text = text or ""
    if text.isascii():  # most words of most texts: nothing to take off
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def words(text: str) -> list[str]:
    """The folded words of two characters or more; runs of a script written without spaces become
    overlapping pairs of characters."""
    out: list[str] = []
    for token in _TOKEN.findall(fold(text)):
        if not _UNSPACED_RUN.search(token):
            out.append(token)
            continue
        for part in _UNSPACED_RUN.split(token):
            if _UNSPACED_RUN.fullmatch(part):
                out += [part[i : i + 2] for i in range(max(len(part) - 1, 1))]
            elif len(part) > 1:
                out.append(part)
    return out


def word_terms(text: str) -> list[str]:
    """Words and their bigrams."""
    tokens = words(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


_TERMS = HashingVectorizer(analyzer=word_terms, n_features=N_COLUMNS, alternate_sign=False, norm=None)
_WORDS = HashingVectorizer(
    analyzer=lambda word: [word], n_features=N_COLUMNS, alternate_sign=False, norm=None
)


def text_terms(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(columns, weights) of a text's terms: sorted int32 columns, float32 sublinear counts."""
    row = _TERMS.transform([text])
    row.sort_indices()
    return row.indices.astype(np.int32), (1.0 + np.log(row.data)).astype(np.float32)


def word_columns(folded_words: list[str]) -> np.ndarray:
    """The column of each folded word (``words``), as ``text_terms`` hashes it."""
    if not folded_words:
        return np.zeros(0, dtype=np.int32)
    return _WORDS.transform(folded_words).indices.astype(np.int32)


def pack_terms(terms: tuple[np.ndarray, np.ndarray]) -> bytes:
    columns, weights = terms
    return np.asarray(columns, dtype="<i4").tobytes() + np.asarray(weights, dtype="<f4").tobytes()


def unpack_terms(packed: bytes) -> tuple[np.ndarray, np.ndarray]:
    n = len(packed) // 8
    return (
        np.frombuffer(packed, dtype="<i4", count=n).astype(np.int32, copy=False),
        np.frombuffer(packed, dtype="<f4", count=n, offset=4 * n).astype(np.float32, copy=False),
    )


class LexicalIndex:
    """TF-IDF cosines between a query and texts held at positions 0..size-1.

    The rows present when the weights were last computed are kept by column (scoring a query reads
    only the columns of its terms); rows added or replaced since are kept apart, by row, until they
    are more than ``MERGE_SHARE`` of the others (at most ``MERGE_MAX_ROWS``), then everything is
    merged and the inverse document frequencies computed again over the texts held.
    """

    def __init__(self):
        self.size = 0
        self.alive = np.zeros(0, dtype=bool)
        self.idf = np.ones(N_COLUMNS, dtype=np.float32)
        self.documents = 0  # texts the idf was computed over
        self.merges = 0
        self._unseen_idf = np.float32(np.inf)  # the idf of a column no merged text uses
        self._recent_columns = np.zeros(0, dtype=np.int32)
        self._inverse_norms = np.zeros(0, dtype=np.float32)  # 1 / |terms x idf| of each position
        self._base = sparse.csc_matrix((0, N_COLUMNS), dtype=np.float32)  # counts, by column
        self._recent: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # position -> terms changed since
        self._recent_matrix = None  # (positions, CSR of their counts), built when first needed
        self._content_cache: dict[str, tuple[tuple[str, str], ...]] = {}

    @classmethod
    def from_texts(cls, texts: list[str]) -> LexicalIndex:
        """An index of texts at positions 0..len(texts)-1 (for offline use and tests)."""
        index = cls()
        index.set(np.arange(len(texts)), [text_terms(t) for t in texts], merge_when_due=False)
        index.merge()
        return index

    @property
    def base_rows(self) -> int:
        return self._base.shape[0]

    # ----------------------------------------------------------------------------------- changes

    def set(self, positions, rows: list[tuple[np.ndarray, np.ndarray]], merge_when_due: bool = True) -> None:
        """Puts the terms of texts at the given positions (replacing what was there); merges when
        enough changed, unless told not to (the caller then merges when it is done)."""
        positions = [int(p) for p in positions]
        if not positions:
            return
        self.grow(max(positions) + 1)
        for position, terms in zip(positions, rows, strict=True):
            self._recent[position] = terms
        at = np.asarray(positions, dtype=np.int64)
        self.alive[at] = True
        self._inverse_norms[at] = self._inverse_norms_of(rows)
        self._recent_matrix = None
        if merge_when_due and self.needs_merge:
            self.merge()

    @property
    def needs_merge(self) -> bool:
        return len(self._recent) > min(max(MERGE_SHARE * self.base_rows, 64), MERGE_MAX_ROWS)

    def clear(self, positions) -> None:
        """Forgets the texts at the given positions."""
        for position in positions:
            position = int(position)
            if position < self.size:
                self.alive[position] = False
                self._inverse_norms[position] = 0.0
                if self._recent.pop(position, None) is not None:
                    self._recent_matrix = None

    def grow(self, size: int) -> None:
        """Makes room for positions 0..size-1."""
        if size > self.size:
            extra = size - self.size
            self.alive = np.concatenate([self.alive, np.zeros(extra, dtype=bool)])
            self._inverse_norms = np.concatenate([self._inverse_norms, np.zeros(extra, dtype=np.float32)])
            self.size = size

    def _inverse_norms_of(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """1 / |terms x idf| of each row (0 for a row without terms), in one pass over all."""
        lengths = np.array([len(columns) for columns, _ in rows], dtype=np.int64)
        if not lengths.sum():
            return np.zeros(len(rows), dtype=np.float32)
        columns = np.concatenate([columns for columns, _ in rows])
        weighted = np.concatenate([weights for _, weights in rows]) * self.idf[columns]
        ends = np.cumsum(lengths)
        sums = np.concatenate([[0.0], np.cumsum(weighted.astype(np.float64) ** 2)])
        norms = np.sqrt(np.maximum(sums[ends] - sums[ends - lengths], 0.0))
        return np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)

    def merge(self) -> None:
        """Puts every row in the by-column part and computes the idf over the texts held."""
        base = self._base.tocsr()
        in_recent = np.zeros(self.size, dtype=bool)
        in_recent[list(self._recent)] = True
        kept = np.flatnonzero(self.alive[: base.shape[0]] & ~in_recent[: base.shape[0]])
        kept_rows = base[kept]
        recent = sorted(self._recent)
        recent_lengths = [len(self._recent[p][0]) for p in recent]
        rows = np.concatenate(
            [
                np.repeat(kept, np.diff(kept_rows.indptr)),
                np.repeat(np.array(recent, dtype=np.int64), recent_lengths),
            ]
        )
        columns = np.concatenate([kept_rows.indices, *(self._recent[p][0] for p in recent)])
        counts = np.concatenate([kept_rows.data, *(self._recent[p][1] for p in recent)])
        matrix = sparse.csc_matrix(
            (counts.astype(np.float32), (rows, columns.astype(np.int64))),
            shape=(self.size, N_COLUMNS),
            dtype=np.float32,
        )
        df = np.diff(matrix.indptr).astype(np.float32)
        self.documents = int(self.alive.sum())
        self.idf = (np.log((1.0 + self.documents) / (1.0 + df)) + 1.0).astype(np.float32)
        self._unseen_idf = np.float32(np.log(1.0 + self.documents) + 1.0)
        weighted_squares = matrix.multiply(matrix).tocsr() @ (self.idf * self.idf)
        norms = np.sqrt(np.asarray(weighted_squares, dtype=np.float32).ravel())
        self._inverse_norms = np.where(self.alive & (norms > 0), 1.0 / np.maximum(norms, 1e-12), 0.0).astype(
            np.float32
        )
        self._base = matrix
        self._recent = {}
        self._recent_matrix = None
        self.merges += 1

    # ----------------------------------------------------------------------------------- scoring

    def _recent_rows(self):
        if self._recent_matrix is None:
            positions = np.array(sorted(self._recent), dtype=np.int64)
            rows = [self._recent[int(p)] for p in positions]
            self._recent_columns = (
                np.unique(np.concatenate([c for c, _ in rows])) if rows else np.zeros(0, dtype=np.int32)
            )
            self._recent_matrix = (
                positions,
                sparse.csr_matrix(
                    (
                        np.concatenate([w for _, w in rows]) if rows else np.zeros(0, dtype=np.float32),
                        np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int32),
                        np.concatenate([[0], np.cumsum([len(c) for c, _ in rows])]).astype(np.int64),
                    ),
                    shape=(len(positions), N_COLUMNS),
                    dtype=np.float32,
                ),
            )
        return self._recent_matrix

    def score(self, query) -> np.ndarray:
        """Cosine between a query (a text, or its ``text_terms``) and the text at every position
        (0 where there is none), as float32 aligned with positions 0..size-1."""
        columns, weights = text_terms(query) if isinstance(query, str) else query
        scores = np.zeros(self.size, dtype=np.float32)
        positions, recent = self._recent_rows()
        # terms no held text uses say nothing of any of them: left out, as a fitted vocabulary would
        known = (self.idf[columns] < self._unseen_idf) | np.isin(columns, self._recent_columns)
        columns, weights = columns[known], weights[known]
        inverse_norm = float(self._inverse_norms_of([(columns, weights)])[0])
        if len(columns) == 0 or self.size == 0 or not inverse_norm:
            return scores
        idf = self.idf[columns]
        query_weights = (weights * idf * idf * inverse_norm).astype(np.float32)
        if self.base_rows:
            scores[: self.base_rows] = self._base[:, columns] @ query_weights
        if len(positions):
            dense = np.zeros(N_COLUMNS, dtype=np.float32)
            dense[columns] = query_weights
            scores[positions] = recent @ dense
        scores *= self._inverse_norms
        return np.clip(scores, 0.0, 1.0)

    def document_frequency(self, word_columns: np.ndarray) -> np.ndarray:
        """How many of the texts the weights were computed over use each column."""
        df = np.exp(1.0 + np.log(1.0 + self.documents) - self.idf[word_columns]) - 1.0
        return np.rint(df)

    def shared_terms(self, text_a: str, texts_b: list[str], k: int = 5) -> list[list[str]]:
        """For each of ``texts_b``: up to k words it shares with ``text_a`` that few of the held texts
        use, rarest first, as written in ``text_a`` (the reader's own words). One pass for all."""
        if not self.documents:
            return [[] for _ in texts_b]
        surface: dict[str, str] = {}
        for folded, word in self._content_words(text_a):
            surface.setdefault(folded, word)
        shared = [
            [folded for folded in dict.fromkeys(f for f, _ in self._content_words(text)) if folded in surface]
            for text in texts_b
        ]
        folded_words = sorted({word for words in shared for word in words})
        if not folded_words:
            return [[] for _ in texts_b]
        df = dict(
            zip(
                folded_words,
                self.document_frequency(_WORDS.transform(folded_words).indices).tolist(),
                strict=True,
            )
        )
        # a word of one text in a small catalogue is always rare enough
        most = max(SHARED_TERM_MAX_SHARE * self.documents, 1)
        return [
            [surface[w] for _, w in sorted((df[w], w) for w in words if df[w] <= most)[:k]]
            for words in shared
        ]

    def _content_words(self, text: str) -> tuple[tuple[str, str], ...]:
        """(folded, as written) of the words of a text that are not numbers, in order; cached, as
        candidates recur."""
        found = self._content_cache.get(text)
        if found is None:
            found = tuple((fold(w), w) for w in _TOKEN.findall((text or "").lower()) if not w.isdigit())
            if len(self._content_cache) >= _CONTENT_CACHE_SIZE:
                self._content_cache.clear()
            self._content_cache[text] = found
        return found
