"""The language a text is written in, with py3langid (a maintained fork of langid.py: 97 languages,
its model inside the package), loaded once per process."""

from __future__ import annotations

import threading
from collections.abc import Iterable

# Below this normalised probability the text says too little to tell (a title of two words).
MIN_CONFIDENCE = 0.5
# A language its author works in wins over a close neighbour the identifier put first (Portuguese
# over Galician, Spanish over Catalan) when it is at least this probable.
EXPECTED_MIN_PROBABILITY = 0.2

_identifier = None
_lock = threading.Lock()


def _get_identifier():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def detect_language(text: str, expected: Iterable[str] = ()) -> str:
    """The ISO 639-1 code of the text's language, or "" when it cannot be told. ``expected`` are
    the languages the author says they work in: one of them is preferred when the text could be
    in it."""
    text = (text or "").strip()
    if not text:
        return ""
    ranked = _get_identifier().rank(text)
    probability = dict(ranked)
    likely = [lang for lang in expected if probability.get(lang, 0.0) >= EXPECTED_MIN_PROBABILITY]
    if likely:
        return max(likely, key=probability.get)
    language, confidence = ranked[0]
    return language if confidence >= MIN_CONFIDENCE else ""
