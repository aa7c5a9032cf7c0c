"""The stored vector of each opportunity's text: embedded in the background when the text is
written, kept with the model's name and a hash of the text (unchanged text is never embedded twice),
with what was read from the text (its language, stored on the opportunity, and the cooperation types
and themes it speaks of), and retried when the model failed, the task was lost or the model in use
changed. Reading texts happens here, in the task, so that web processes need not load what reads
them."""

import datetime
import logging

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from matchmaking.choices import EmbeddingStatus
from matchmaking.models import Opportunity, OpportunityEmbedding
from matchmaking.recommendations import embedding

logger = logging.getLogger(__name__)


@task()
def embed_opportunity(opportunity_id):
    """The background task: embeds one opportunity (by primary key)."""
    embed_opportunities([opportunity_id])


def schedule_embedding(opportunity_id):
    """Embeds the opportunity once the transaction commits, through the task backend. The
    opportunity is saved whatever happens then: a failure to embed or enqueue is logged, and it
    stays pending for `retry_embeddings`."""
    transaction.on_commit(lambda: embed_opportunity.enqueue(opportunity_id), robust=True)


def reset_embedding(opportunity_id):
    """Marks the stored vector out of date (the text changed): pending, with no failed attempt."""
    OpportunityEmbedding.objects.update_or_create(
        opportunity_id=opportunity_id, defaults={"status": EmbeddingStatus.PENDING, "attempts": 0}
    )


def embed_opportunities(ids, *, batch_size=64, force=False, progress=None):
    """Embeds the given opportunities whose text or model changed since their last embedding.
    Returns how many were embedded. A failure (the model missing or broken) marks the rows `failed`
    and counts the attempt, for `retry_embeddings`; the opportunities themselves are untouched."""
    ids = list(ids)
    try:
        embedder = embedding.embedder()
    except Exception as error:  # noqa: BLE001 - any model failure leaves the opportunities to retry
        logger.exception("The embedding model could not be loaded")
        mark_embedding_failed(ids, error)
        return 0
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        todo = _to_embed(chunk, embedder.name, force)
        if todo:
            try:
                vectors = embedder.encode([text for _, text, _ in todo])
                terms = embedding.read_terms(vectors)
            except Exception as error:  # noqa: BLE001 - any model failure leaves them to retry
                logger.exception("Embedding failed for opportunities %s", [o.pk for o, _, _ in todo])
                mark_embedding_failed([o.pk for o, _, _ in todo], error)
                continue
            _store(todo, vectors, terms, embedder.name)
            done += len(todo)
        if progress:
            progress(len(chunk))
    return done


FIELDS = (
    "status",
    "model_name",
    "text_hash",
    "vector",
    "detected_types",
    "detected_themes",
    "error",
    "attempts",
)


def _store(todo, vectors, terms, model_name):
    """Writes a batch's vectors, what was read from the texts and their languages, in one commit."""
    now = timezone.now()  # bulk_update skips auto_now; the matching index watches updated_at
    rows, languages = [], []
    for (opportunity, _text, digest), vector, (types, themes) in zip(todo, vectors, terms, strict=True):
        row = OpportunityEmbedding(
            opportunity_id=opportunity.pk,
            status=EmbeddingStatus.READY,
            model_name=model_name,
            text_hash=digest,
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
            detected_types=types,
            detected_themes=themes,
            error="",
            attempts=0,
            updated_at=now,
        )
        rows.append(row)
        if not opportunity.text_language:  # its text is new, or was written before languages were read
            working = [language.pk for language in opportunity.languages.all()]
            opportunity.text_language = embedding.text_language(
                opportunity.title, opportunity.description, working
            )
            languages.append(opportunity)
    with transaction.atomic():
        OpportunityEmbedding.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["opportunity"], update_fields=[*FIELDS, "updated_at"]
        )
        Opportunity.objects.bulk_update(languages, ["text_language"])


def _to_embed(ids, model_name, force):
    """(opportunity, text, hash) of the opportunities among `ids` whose stored vector is missing or
    stale."""
    opportunities = (
        Opportunity.objects.filter(pk__in=ids)
        .only("id", "title", "description", "text_language")
        .prefetch_related("languages")
    )
    existing = {e.pk: e for e in OpportunityEmbedding.objects.filter(pk__in=ids).defer("vector")}
    todo = []
    for opportunity in opportunities:
        text = embedding.embedding_text(opportunity.title, opportunity.description)
        digest = embedding.text_hash(text)
        row = existing.get(opportunity.pk)
        up_to_date = (
            row is not None
            and row.status == EmbeddingStatus.READY
            and row.text_hash == digest
            and row.model_name == model_name
        )
        if force or not up_to_date:
            todo.append((opportunity, text, digest))
    return todo


def ensure_embedded(opportunity):
    """Embeds the opportunity now if it has no vector yet and its embedding has not failed
    EMBEDDING_MAX_ATTEMPTS times (asked when its recommendations came without a vector, so that a
    lost or failed task does not leave it ranked without meaning for long); returns whether it did."""
    stored = (
        OpportunityEmbedding.objects.filter(pk=opportunity.pk)
        .only("status", "attempts", "model_name")
        .first()
    )
    if (
        stored is not None
        and stored.status == EmbeddingStatus.READY
        and stored.model_name == embedding.embedder().name
    ):
        return False
    if stored is not None and stored.attempts >= settings.EMBEDDING_MAX_ATTEMPTS:
        return False
    embed_opportunities([opportunity.pk])
    opportunity.refresh_from_db(fields=["text_language"])  # read with the vector
    return True


def mark_embedding_failed(ids, error):
    """Marks the opportunities' embeddings `failed` with the error, and counts one more attempt."""
    with transaction.atomic():
        OpportunityEmbedding.objects.bulk_create(
            [OpportunityEmbedding(opportunity_id=pk) for pk in ids], ignore_conflicts=True
        )
        OpportunityEmbedding.objects.filter(pk__in=ids).update(
            status=EmbeddingStatus.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            attempts=F("attempts") + 1,
            updated_at=timezone.now(),  # update() skips auto_now; the matching index watches it
        )


def embeddings_to_retry(now=None):
    """The opportunities whose embedding failed fewer than EMBEDDING_MAX_ATTEMPTS times, is still
    pending EMBEDDING_STALE_MINUTES after it was asked for (its task was lost, or the worker is down),
    or was made by another model than the one in use."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(minutes=settings.EMBEDDING_STALE_MINUTES)
    return OpportunityEmbedding.objects.filter(
        Q(status=EmbeddingStatus.FAILED, attempts__lt=settings.EMBEDDING_MAX_ATTEMPTS)
        | Q(status=EmbeddingStatus.PENDING, updated_at__lt=stale)
        | (Q(status=EmbeddingStatus.READY) & ~Q(model_name=embedding.embedder().name))
    )


def retry_embeddings(now=None):
    """Embeds again the opportunities of `embeddings_to_retry`; returns how many are now embedded.
    Loads the model only if there is something to retry."""
    ids = list(embeddings_to_retry(now).order_by("pk").values_list("pk", flat=True))
    return embed_opportunities(ids) if ids else 0
