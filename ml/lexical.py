"""TF-IDF similarity between a query opportunity and the fitted opportunities, in any language.

The index is fitted once over the open opportunities' texts and kept; queries (fitted or unseen)
are only transformed. Texts are folded first (lower case, accents stripped), so "hébergement" and
"hebergement" meet; words of different languages do not, and ranking uses this view only between
texts of the same language (``ml.features``). No word list of any language is involved: words that
every text uses weigh little by their inverse document frequency.

Two views are averaged (measured in bench/offline_eval.py, see docs/matching.md):

- words: unigrams and bigrams, sublinear tf;
- characters: 3- to 5-grams inside words, which catch inflections (herbarium / herbaria,
  digitization / digitizing) and scripts written without spaces.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

_CONTENT_CACHE_SIZE = 20_000
_TOKEN = re.compile(r"\b\w\w+\b")
# Shared words are named in the reasons only if fewer than this share of the texts use them.
SHARED_TERM_MAX_SHARE = 0.2


def fold(text: str) -> str:
    """Lower case, no accents ("Hébergement" -> "hebergement"); other scripts are left as they are."""
    text = unicodedata.normalize("NFKD", (text or "").lower())
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def words(text: str) -> list[str]:
    """The folded words of two characters or more."""
    return _TOKEN.findall(fold(text))


class LexicalIndex:
    """TF-IDF over a fixed set of documents: words and character n-grams, averaged.

    The character view costs about ten times the memory and time of the word view (measured:
    20,000 opportunities, 190 MB and 70 ms a query against 20 MB and 10 ms), so above
    ``char_max_docs`` documents the index uses words only.
    """

    def __init__(self, char_weight: float = 0.5, char_max_docs: int = 20_000):
        self.char_weight = char_weight
        self.char_max_docs = char_max_docs
        self.vectorizer = TfidfVectorizer(analyzer=self.word_terms, sublinear_tf=True, norm="l2")
        self.char_vectorizer = (
            TfidfVectorizer(
                preprocessor=fold,
                analyzer="char_wb",
                ngram_range=(3, 5),
                sublinear_tf=True,
                norm="l2",
            )
            if char_weight > 0
            else None
        )
        self.ids: list = []
        self.matrix = None
        self.char_matrix = None
        self._position: dict = {}
        self._texts: dict = {}
        self._slices: dict = {}
        self.fitted_size = 0
        self.drift = 0
        self.fit_count = 0
        self._content_cache: dict[str, tuple[tuple[str, str], ...]] = {}

    @staticmethod
    def word_terms(text: str) -> list[str]:
        """Words and their bigrams."""
        tokens = words(text)
        return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]

    @property
    def fitted(self) -> bool:
        return self.matrix is not None

    def fit(self, ids: list, texts: list[str]) -> LexicalIndex:
        if len(ids) != len(texts):
            raise ValueError("ids and texts must have the same length")
        self.ids = list(ids)
        self._position = {id_: i for i, id_ in enumerate(self.ids)}
        self.matrix = self.vectorizer.fit_transform(texts) if texts else None
        self._texts = dict(zip(ids, texts, strict=True))
        self.fitted_size = len(texts)
        self.drift = 0
        self.char_matrix = None
        if self.char_vectorizer is not None and texts and len(texts) <= self.char_max_docs:
            self.char_matrix = self.char_vectorizer.fit_transform(texts)
        self.fit_count += 1
        return self

    def update(self, ids: list, texts: list[str], refit_fraction: float = 0.2) -> LexicalIndex:
        """Re-aligns the index on a new set of documents without refitting: rows of unchanged
        texts are kept, new or changed texts are transformed in the fitted vocabulary. It refits
        when the texts transformed since the last fit exceed ``refit_fraction`` of the documents it
        was fitted on, or the corpus shrank by that much, so that the vocabulary and the idf
        weights follow the corpus."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts must have the same length")
        if self.matrix is None:
            return self.fit(ids, texts)
        changed = [
            i for i, (id_, text) in enumerate(zip(ids, texts, strict=True)) if self._texts.get(id_) != text
        ]
        drift = self.drift + len(changed)  # documents transformed, not fitted, since the last fit
        shrunk = len(ids) < (1 - refit_fraction) * self.fitted_size
        if drift > refit_fraction * max(self.fitted_size, 1) or shrunk:
            return self.fit(ids, texts)
        self.drift = drift
        changed_set = set(changed)
        kept = [i for i in range(len(ids)) if i not in changed_set]
        old_rows = [self._position[ids[i]] for i in kept]
        new_words, new_chars = self._rows([texts[i] for i in changed])
        # stacked row k belongs at position (kept + changed)[k] of the new order
        order = np.empty(len(ids), dtype=np.int64)
        order[np.array(kept + changed, dtype=np.int64)] = np.arange(len(ids))
        self.matrix = sparse.vstack([self.matrix[old_rows], new_words], format="csr")[order]
        if self.char_matrix is not None:
            self.char_matrix = sparse.vstack([self.char_matrix[old_rows], new_chars], format="csr")[order]
        self.ids = list(ids)
        self._position = {id_: i for i, id_ in enumerate(self.ids)}
        self._texts = dict(zip(ids, texts, strict=True))
        return self

    def _rows(self, texts: list[str]):
        """Word and character rows of texts in the fitted vocabularies (empty matrices for none)."""
        if not texts:
            words = sparse.csr_matrix((0, self.matrix.shape[1]), dtype=self.matrix.dtype)
            chars = None
            if self.char_matrix is not None:
                chars = sparse.csr_matrix((0, self.char_matrix.shape[1]), dtype=self.char_matrix.dtype)
            return words, chars
        words = self.vectorizer.transform(texts)
        chars = self.char_vectorizer.transform(texts) if self.char_matrix is not None else None
        return words, chars

    def transform(self, texts: list[str]):
        """Sparse word TF-IDF rows of (possibly unseen) texts in the fitted vocabulary."""
        if self.matrix is None:
            raise RuntimeError("the lexical index is not fitted")
        return self.vectorizer.transform(texts)

    def score(self, query_text: str, rows: slice | None = None) -> np.ndarray:
        """Cosine between the query and every fitted document, aligned with ``ids``; or only the
        documents of a slice of ``ids``, whose rows are kept apart once, so later calls do not
        touch the rest of the matrix."""
        if self.matrix is None:
            return np.zeros(len(self.ids[rows or slice(None)]), dtype=np.float32)
        words, chars = self._sliced(rows)
        scores = _cosines(words, self.vectorizer.transform([query_text]))
        if chars is not None:
            chars = _cosines(chars, self.char_vectorizer.transform([query_text]))
            scores = (1.0 - self.char_weight) * scores + self.char_weight * chars
        return scores

    def _sliced(self, rows: slice | None):
        if rows is None:
            return self.matrix, self.char_matrix
        key = (rows.start, rows.stop, rows.step)
        if self._slices.get("matrix") is not self.matrix:
            self._slices = {"matrix": self.matrix}
        if key not in self._slices:
            chars = self.char_matrix[rows] if self.char_matrix is not None else None
            self._slices[key] = (self.matrix[rows], chars)
        return self._slices[key]

    def score_ids(self, query_text: str, ids: list) -> np.ndarray:
        """Cosine between the query and the fitted documents ``ids`` (0 for ids not fitted)."""
        scores = self.score(query_text)
        out = np.zeros(len(ids), dtype=np.float32)
        for i, id_ in enumerate(ids):
            pos = self._position.get(id_)
            if pos is not None:
                out[i] = scores[pos]
        return out

    def shared_terms(self, text_a: str, text_b: str, k: int = 5) -> list[str]:
        """Up to k words of both texts that few of the fitted texts use, rarest first, as written in
        ``text_b``."""
        if self.matrix is None:
            return []
        in_a = {folded for folded, _ in self._content_words(text_a)}
        surface: dict[str, str] = {}
        for folded, word in self._content_words(text_b):
            if folded in in_a:
                surface.setdefault(folded, word)
        terms, idf = self.vectorizer.vocabulary_, self.vectorizer.idf_
        n = max(self.fitted_size, 1)
        # idf = ln((1 + n) / (1 + df)) + 1: a word is rare enough while idf reaches this (a word of one
        # text in a small catalogue always is)
        most = max(SHARED_TERM_MAX_SHARE * n, 1)
        rare = np.log((1 + n) / (1 + most)) + 1
        ranked = sorted((-idf[terms[w]], w) for w in surface if w in terms and idf[terms[w]] >= rare - 1e-9)
        return [surface[w] for _, w in ranked[:k]]

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


def _cosines(matrix, query) -> np.ndarray:
    # sparse matrix times a dense vector is linear in the matrix's non-zeros; sparse times sparse is not
    return np.asarray(matrix @ query.toarray().ravel(), dtype=np.float32)
