"""Domain operations. Views and viewsets validate input and call these; they do the work in a
transaction, and are the only code that calls into `ml/`."""

import logging

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from matchmaking.choices import EmbeddingStatus, OpportunityStatus
from matchmaking.models import Opportunity, OpportunityEmbedding

logger = logging.getLogger(__name__)

M2M_FIELDS = ("themes", "objectives", "languages", "eligible_groups", "eligible_countries")


class ServiceError(Exception):
    """A domain rule refused the operation; `field` names the input at fault, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(ServiceError):
    """The operation does not fit the current state (an illegal transition, capacity used up)."""


# --------------------------------------------------------------------------- postings


def create_opportunity(*, user, data, embed=True):
    """Creates a posting from validated data (M2M fields as lists of instances or keys).
    With `embed=False` the caller embeds it later (bulk imports embed in batches)."""
    data = dict(data)
    m2m = {name: data.pop(name) for name in M2M_FIELDS if name in data}
    with transaction.atomic():
        opportunity = Opportunity(created_by=user if user and user.is_authenticated else None, **data)
        if opportunity.status == OpportunityStatus.OPEN:
            opportunity.published_at = timezone.now()
        opportunity.save()
        for name, values in m2m.items():
            getattr(opportunity, name).set(values)
        OpportunityEmbedding.objects.create(opportunity=opportunity)
        if embed:
            schedule_embedding(opportunity.pk)
    return opportunity


def update_opportunity(opportunity, *, user, data):
    """Changes a posting; re-embeds it if its text changed."""
    data = dict(data)
    m2m = {name: data.pop(name) for name in M2M_FIELDS if name in data}
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        old_text = opportunity.embedding_text()
        for name, value in data.items():
            setattr(opportunity, name, value)
        if opportunity.status == OpportunityStatus.OPEN and opportunity.published_at is None:
            opportunity.published_at = timezone.now()
        opportunity.save()
        for name, values in m2m.items():
            getattr(opportunity, name).set(values)
        if opportunity.embedding_text() != old_text:
            OpportunityEmbedding.objects.update_or_create(
                opportunity=opportunity, defaults={"status": EmbeddingStatus.PENDING}
            )
            schedule_embedding(opportunity.pk)
    return opportunity


def close_opportunity(opportunity, *, user):
    if opportunity.status == OpportunityStatus.CLOSED:
        raise Conflict("This posting is already closed.")
    opportunity.status = OpportunityStatus.CLOSED
    opportunity.save(update_fields=["status", "updated_at"])
    return opportunity


# --------------------------------------------------------------------------- embeddings


def schedule_embedding(opportunity_id):
    """Embeds the posting once the transaction commits, through the task backend."""
    from matchmaking.tasks import embed_opportunity

    transaction.on_commit(lambda: embed_opportunity.enqueue(opportunity_id))


def get_embedder():
    from ml.embeddings import default_model_path
    from ml.embeddings import get_embedder as load

    return load(settings.EMBEDDING_MODEL_PATH or default_model_path())


def embed_opportunities(ids, *, batch_size=64, force=False, progress=None):
    """Embeds the given postings whose text or model changed since their last embedding.
    Returns how many were embedded. Failures mark the rows `failed` for a later retry."""
    from ml.embeddings import text_hash

    embedder = get_embedder()
    done = 0
    ids = list(ids)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        postings = Opportunity.objects.filter(pk__in=chunk).only("id", "title", "description")
        existing = {e.pk: e for e in OpportunityEmbedding.objects.filter(pk__in=chunk).defer("vector")}
        todo = []
        for posting in postings:
            text = posting.embedding_text()
            digest = text_hash(text)
            row = existing.get(posting.pk)
            if (
                not force
                and row is not None
                and row.status == EmbeddingStatus.READY
                and row.text_hash == digest
                and row.model_name == embedder.name
            ):
                continue
            todo.append((posting.pk, text, digest))
        if todo:
            try:
                vectors = embedder.encode([text for _, text, _ in todo])
            except Exception as error:  # noqa: BLE001 - any model failure leaves the posting to retry
                logger.exception("Embedding failed for postings %s", [pk for pk, _, _ in todo])
                for pk, _, _ in todo:
                    OpportunityEmbedding.objects.update_or_create(
                        opportunity_id=pk,
                        defaults={"status": EmbeddingStatus.FAILED, "error": str(error)[:2000]},
                    )
                continue
            for (pk, _, digest), vector in zip(todo, vectors, strict=True):
                OpportunityEmbedding.objects.update_or_create(
                    opportunity_id=pk,
                    defaults={
                        "status": EmbeddingStatus.READY,
                        "model_name": embedder.name,
                        "text_hash": digest,
                        "vector": np.asarray(vector, dtype=np.float32).tobytes(),
                        "error": "",
                    },
                )
            done += len(todo)
        if progress:
            progress(len(chunk))
    return done
