"""The controlled vocabularies as `ml/` needs them: the data file matchmaking/data/vocabularies.json
(types and themes with their labels, descriptions and synonyms in seven languages, and the type-fit
table), with the synonyms as staff keep them in the database (loaded there from the same file)."""

import threading

from matchmaking.models import CooperationType, Theme
from matchmaking.reference import read
from ml.vocabulary import Vocabulary

_lock = threading.Lock()
_cached = (None, None)  # (the synonyms it was built from, the Vocabulary)


def data_vocabulary():
    """The Vocabulary of the data file alone, without the database (offline evaluation, tests)."""
    return Vocabulary.from_data(read("vocabularies.json"))


def stored_synonyms():
    """slug -> {language: phrases} of every cooperation type and theme, as stored (one query each)."""
    return {
        slug: synonyms or {}
        for model in (CooperationType, Theme)
        for slug, synonyms in model.objects.order_by("slug").values_list("slug", "synonyms")
    }


def current_vocabulary():
    """The process's Vocabulary, built again only when staff changed a synonym."""
    global _cached
    synonyms = stored_synonyms()
    built_from, vocabulary = _cached
    if vocabulary is not None and built_from == synonyms:
        return vocabulary
    with _lock:
        built_from, vocabulary = _cached
        if vocabulary is None or built_from != synonyms:
            vocabulary = Vocabulary.from_data(read("vocabularies.json"), synonyms=synonyms or None)
            _cached = (synonyms, vocabulary)
        return vocabulary
