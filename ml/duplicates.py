"""Near-identical texts: the same posting put up again, or by several organizations in the same words.

Two texts are near-identical when the *resemblance* of their sets of terms (Broder, "On the
resemblance and containment of documents", 1997: the Jaccard index of their shingles; here their
folded words and pairs of words, the terms ``ml.lexical.text_terms`` stores with every text) is at
least ``MIN_RESEMBLANCE``, 0.5. Measured with ``bench/near_duplicates.py`` (USE) on the 149 postings of
both development sets (seven languages): two distinct postings of the same direction never resemble
each other more than 0.24 (the hard negatives of the sets, "an offer of the same type with similar
wording", included), while a posting copied with another organization's name added resembles its
original 0.54 or more, with a contact line added 0.82, with a number changed 0.69, with its title in
capitals 1; with its last sentence dropped, 0.84 at the median but 0.41 at the least (a short text
that lost half of itself is no longer near-identical). 0.5 is twice the highest distinct pair.

The demo's postings of one title by several organizations (the title, then the organization's name)
resemble each other 0.78 at the median, down to 0.24 where the names are long. Two postings are also
near-identical when their titles are the same words and their meaning is closer than that of any two
distinct postings: a cosine of their vectors of ``SAME_TITLE_MIN_COSINE``, 0.68, or more (the highest
between two distinct postings of the development sets is 0.679). With both rules every pair of the
demo's postings of one title and direction is near-identical (their cosines are 0.66 or more).

Only pairs that may be such are compared: postings of the same organization (one posting put up
again) or under the same title (the same posting under another's name), whose vectors' cosine is at
least ``MIN_COSINE``, 0.5 (the copies above have a cosine of 0.65 or more). Near-identical postings
of two organizations under two titles stay apart.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
from scipy import sparse

_WORD = re.compile(r"\w+")

MIN_RESEMBLANCE = 0.5
SAME_TITLE_MIN_COSINE = 0.68
MIN_COSINE = 0.5


def resemblance(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard index of two sets of term columns (sorted or not, repeats ignored)."""
    a, b = np.unique(a), np.unique(b)
    union = len(a) + len(b)
    if not union:
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (union - shared)


def title_key(title: str) -> tuple[str, ...]:
    """What two titles share when they are the same: their words, case aside."""
    return tuple(_WORD.findall(title.casefold()))


def near_identical(resemblance: np.ndarray, same_title: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """Whether each pair is near-identical: its terms resemble each other enough, or its titles are
    the same and its meaning closer than that of distinct postings."""
    return (np.asarray(resemblance) >= MIN_RESEMBLANCE) | (
        np.asarray(same_title, dtype=bool) & (np.asarray(cosine) >= SAME_TITLE_MIN_COSINE)
    )


def candidate_pairs(
    vectors: np.ndarray, blocks, min_cosine: float = MIN_COSINE
) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i < j of the rows that share a block (``blocks``: for each row, the keys of the
    blocks it is in, such as its organization and its title) and whose unit ``vectors`` have a cosine
    of at least ``min_cosine``, as an array of shape (pairs, 2), with their cosines. A row of zeros
    (no vector) pairs with nothing."""
    members = defaultdict(list)
    for row, keys in enumerate(blocks):
        for key in keys:
            members[key].append(row)
    pairs = {(a, b) for rows in members.values() for n, a in enumerate(rows) for b in rows[n + 1 :]}
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float32)
    pairs = np.array(sorted(pairs), dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float32)
    cosines = np.einsum("ij,ij->i", vectors[pairs[:, 0]], vectors[pairs[:, 1]])
    keep = cosines >= min_cosine
    return pairs[keep], cosines[keep]


def resemblances(terms: list[np.ndarray], pairs: np.ndarray) -> np.ndarray:
    """The resemblance of each pair (i, j) of the sets of term columns ``terms`` (without repeats, as
    ``ml.lexical.text_terms`` gives them), computed at once."""
    if not len(pairs):
        return np.zeros(0, dtype=np.float32)
    unique = [np.asarray(columns, dtype=np.int64) for columns in terms]
    sizes = np.array([len(columns) for columns in unique], dtype=np.float32)
    columns = np.concatenate(unique) if unique else np.zeros(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    matrix = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), columns, indptr),
        shape=(len(unique), int(columns.max(initial=0)) + 1),
    )
    shared = np.asarray(matrix[pairs[:, 0]].multiply(matrix[pairs[:, 1]]).sum(axis=1)).ravel()
    union = sizes[pairs[:, 0]] + sizes[pairs[:, 1]] - shared
    return np.where(union > 0, shared / np.maximum(union, 1), 0.0).astype(np.float32)


def leaders(n: int, pairs) -> np.ndarray:
    """For items 0..n-1 in rank order, the item that leads the group of each (itself for a leader),
    given the pairs (i, j) of near-identical items: an item joins the best-ranked leader it is
    near-identical to, else leads a group of its own. Groups never chain: an item near-identical
    only to another group's member leads its own."""
    near: dict[int, list[int]] = {}
    for i, j in pairs:
        i, j = int(i), int(j)
        near.setdefault(max(i, j), []).append(min(i, j))
    lead = np.arange(n)
    for item in sorted(near):
        earlier = [other for other in sorted(near[item]) if lead[other] == other]
        if earlier:
            lead[item] = earlier[0]
    return lead
