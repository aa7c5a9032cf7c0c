"""The controlled vocabularies as `ml/` needs them: the data files of matchmaking/data/ (types and
themes with their phrases and the type-fit table in vocabularies.json, the glossaries in glossary/),
with the synonyms as staff keep them in the database (loaded there from the same file)."""

import threading

from matchmaking.models import CooperationType, Theme
from matchmaking.reference import data_file, read
from ml.crosslingual import Glossary
from ml.vocabulary import Vocabulary

GLOSSARY_LANGUAGES = ("fr", "es")

_lock = threading.Lock()
_cached = (None, None)  # (the synonyms it was built from, the Vocabulary)


def glossaries():
    return {
        language: Glossary(
            language,
            data_file("glossary", f"{language}.txt").read_text(encoding="utf-8"),
            data_file("glossary", f"{language}-stopwords.txt").read_text(encoding="utf-8"),
        )
        for language in GLOSSARY_LANGUAGES
    }


def data_vocabulary():
    """The Vocabulary of the data files alone, without the database (offline evaluation, tests)."""
    return Vocabulary.from_data(read("vocabularies.json"), glossaries=glossaries())


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
            previous = vocabulary
            vocabulary = Vocabulary.from_data(
                read("vocabularies.json"),
                glossaries=previous.glossaries if previous else glossaries(),
                synonyms=synonyms or None,
            )
            _cached = (synonyms, vocabulary)
        return vocabulary
