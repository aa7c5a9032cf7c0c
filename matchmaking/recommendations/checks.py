"""System checks of the embedding settings, run by `manage.py check` and at start-up."""

from django.conf import settings
from django.core.checks import Error, register

from ml.embeddings import BACKENDS


@register()
def embedding_backend(app_configs, **kwargs):
    if settings.EMBEDDING_BACKEND not in BACKENDS:
        return [
            Error(
                f"EMBEDDING_BACKEND={settings.EMBEDDING_BACKEND!r} is not an embedding backend.",
                hint=f"Use one of: {', '.join(BACKENDS)}.",
                id="matchmaking.E001",
            )
        ]
    return []
