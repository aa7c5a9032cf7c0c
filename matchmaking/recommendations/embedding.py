"""The embedding model (EMBEDDING_MODEL_PATH, else the packaged one), loaded once per process, and
the text embedded for an opportunity."""

from django.conf import settings

from ml import embeddings

from .vocabulary import current_vocabulary


def embedder():
    """The process's embedder; its weights are loaded on the first `encode`."""
    return embeddings.get_embedder(settings.EMBEDDING_MODEL_PATH or embeddings.default_model_path())


def embedding_text(title, description):
    """The text whose vector is stored for an opportunity (the English gloss of French and Spanish)."""
    return embeddings.opportunity_text(title, description, current_vocabulary())


def text_hash(text):
    """A hash of the embedded text: a stored vector is reused while it does not change."""
    return embeddings.text_hash(text)
