"""How close in meaning opportunities are to one another, from the vectors stored with them (open or
not: past cooperation is compared too)."""

import numpy as np

from ml.embeddings import rescale

from . import embedding
from .index import stored_vectors


def likeness(query_ids, candidate_ids):
    """A matrix [query, candidate] of likeness in meaning, 0 (unrelated) to 1, from the stored vectors
    of the model in use, and NaN where either opportunity has no vector yet."""
    queries, candidates = stored_vectors(query_ids), stored_vectors(candidate_ids)
    out = np.full((len(queries), len(candidates)), np.nan, dtype=np.float32)
    if not queries.shape[1] or queries.shape[1] != candidates.shape[1]:
        return out
    known = queries.any(axis=1)[:, None] & candidates.any(axis=1)[None, :]
    meaning = rescale(queries @ candidates.T, embedding.embedder().cosine_floor)
    return np.where(known, meaning, out)
