import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from matchmaking.choices import EmbeddingStatus
from matchmaking.recommendations.embedding import embedding_text
from matchmaking.services.embeddings import embed_opportunity
from matchmaking.services.opportunities import create_opportunity

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def post_offer(institute):
    data = {
        "direction": "offer",
        "title": "Mirror sites",
        "description": "We mirror.",
        "organization": institute,
    }
    return create_opportunity(user=None, data=data)


def test_opportunity_is_embedded_at_once_with_the_default_backend(
    institute, fake_embedder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = post_offer(institute)
    offer.embedding.refresh_from_db()
    assert offer.embedding.status == EmbeddingStatus.READY
    assert fake_embedder.encoded.count(embedding_text(offer.title, offer.description)) == 1


@override_settings(TASKS=DATABASE_BACKEND)  # django-tasks resets its backends when TASKS changes
def test_database_backend_leaves_embedding_to_the_worker(
    institute, fake_embedder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = post_offer(institute)
    offer.embedding.refresh_from_db()
    assert offer.embedding.status == EmbeddingStatus.PENDING
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "matchmaking.services.embeddings.embed_opportunity"
    assert queued.args_kwargs == {"args": [offer.pk], "kwargs": {}}
    embed_opportunity.call(*queued.args_kwargs["args"])  # what `manage.py db_worker` runs
    offer.embedding.refresh_from_db()
    assert offer.embedding.status == EmbeddingStatus.READY
