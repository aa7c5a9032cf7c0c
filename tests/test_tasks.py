import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from matchmaking import services
from matchmaking.choices import EmbeddingStatus
from matchmaking.tasks import embed_opportunity

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def post_offer(institute):
    data = {
        "direction": "offer",
        "title": "Mirror sites",
        "description": "We mirror.",
        "organization": institute,
    }
    return services.create_opportunity(user=None, data=data)


def test_posting_is_embedded_at_once_with_the_default_backend(
    institute, fake_embedder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = post_offer(institute)
    offer.embedding.refresh_from_db()
    assert offer.embedding.status == EmbeddingStatus.READY
    assert fake_embedder.encoded == [offer.embedding_text()]


@override_settings(TASKS=DATABASE_BACKEND)  # django-tasks resets its backends when TASKS changes
def test_database_backend_leaves_embedding_to_the_worker(
    institute, fake_embedder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = post_offer(institute)
    offer.embedding.refresh_from_db()
    assert offer.embedding.status == EmbeddingStatus.PENDING
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "matchmaking.tasks.embed_opportunity"
    assert queued.args_kwargs == {"args": [offer.pk], "kwargs": {}}
    embed_opportunity.call(*queued.args_kwargs["args"])  # what `manage.py db_worker` runs
    offer.embedding.refresh_from_db()
    assert offer.embedding.status == EmbeddingStatus.READY
