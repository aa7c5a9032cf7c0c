"""Reading an opportunity's text as it is written: its vector (the EMBEDDING_BACKEND model, loaded
once per process), its language, and the cooperation types and themes it speaks of."""

import threading
from dataclasses import replace

from django.conf import settings

from ml import embeddings, language
from ml.features import DEFAULT_CONFIG
from ml.vocabulary import TermDetector

from .vocabulary import current_vocabulary

_lock = threading.Lock()
_detectors = {}  # (vocabulary id, model name) -> TermDetector


def embedder():
    """The process's embedder; its weights are loaded on the first `encode`."""
    return embeddings.get_embedder(settings.EMBEDDING_BACKEND, settings.EMBEDDING_MODEL_PATH or None)


def embedding_text(title, description):
    """The text whose vector is stored for an opportunity."""
    return embeddings.opportunity_text(title, description)


def text_hash(text):
    """A hash of the embedded text: a stored vector is reused while it does not change."""
    return embeddings.text_hash(text)


def text_language(title, description, working_languages=()):
    """The ISO 639-1 code of the language the opportunity is written in ("" when it cannot be told);
    among close languages, one its author works in is preferred."""
    return language.detect_language(embedding_text(title, description), working_languages)


def feature_config():
    """How ranking reads this model's vectors (its cosine of unrelated texts)."""
    return replace(DEFAULT_CONFIG, cosine_floor=embedder().cosine_floor)


def covers(language_code):
    """Whether the embedding model was trained on this language (True when it is not known)."""
    covered = embedder().languages
    return not language_code or covered is None or language_code in covered


def detector():
    """The process's TermDetector for the vocabulary and model in use (it embeds every term's
    phrases once, a few seconds, so only processes that embed opportunities make one)."""
    vocabulary, model = current_vocabulary(), embedder()
    key = (id(vocabulary), model.name)
    if key not in _detectors:
        with _lock:
            if key not in _detectors:
                _detectors.clear()
                _detectors[key] = TermDetector(vocabulary, model.encode, cosine_floor=model.cosine_floor)
    return _detectors[key]


def read_terms(vectors):
    """[(types, themes)] that each vector's text speaks of, slug -> confidence."""
    found = detector()
    return [(found.detect("types", vector), found.detect("themes", vector)) for vector in vectors]
