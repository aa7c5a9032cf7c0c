"""The ranking weights learned from answered matches: `train_ranker` stores weights only when they
rank held-out matches clearly better than those in use; `revert_weights` goes back to the weights
used before; staff can use stored weights again or stop using them (the admin's actions)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import EmbeddingStatus
from matchmaking.models import OpportunityEmbedding, RankerWeights
from matchmaking.recommendations import training

from . import audit
from .embeddings import embed_opportunities
from .errors import Conflict


@dataclass
class TrainingReport(training.Training):
    stored: object = None  # the RankerWeights stored, if any


def embed_answered():
    """Embeds the opportunities of answered matches that have no vector yet (they are compared on it)."""
    ids = {pk for request, offer, _ in training.answered_pairs() for pk in (request, offer)}
    ready = set(
        OpportunityEmbedding.objects.filter(pk__in=ids, status=EmbeddingStatus.READY).values_list(
            "pk", flat=True
        )
    )
    if ids - ready:
        embed_opportunities(sorted(ids - ready))


def train_ranker(*, min_labels=None, dry_run=False, user=None):
    """Learns the blend's weights from answered matches when there are at least `min_labels`
    (RANKER_MIN_LABELS) of them, and stores them (so that they are used) only if they rank the
    held-out matches better than the weights in use by RANKER_MIN_GAIN and keep RANKER_SEMANTIC_FLOOR
    of the weight on the meaning of the texts. The weights used before stay stored and active, for
    `revert_weights`."""
    min_labels = settings.RANKER_MIN_LABELS if min_labels is None else min_labels
    embed_answered()
    found = training.learn(min_labels, settings.RANKER_MIN_GAIN, settings.RANKER_SEMANTIC_FLOOR)
    report = TrainingReport(**vars(found))
    if found.weights is None:
        return report
    if dry_run:
        report.message = f"{found.message}; not stored (dry run)."
        return report
    with transaction.atomic():
        report.stored = RankerWeights.objects.create(
            weights={name: round(value, 6) for name, value in found.weights.to_dict().items()},
            method=training.LEARNING_METHOD,
            labels=found.labels,
            positives=found.positives,
            metric=training.METRIC,
            score=found.learned_score,
            baseline_score=found.baseline_score,
            baseline=found.baseline.to_dict(),
        )
        audit.record(report.stored, user=user, operation="train_ranker")
    report.message = f"{found.message}: stored as #{report.stored.pk} and in use."
    return report


def set_weights_in_use(stored, *, user, in_use):
    """Staff put stored weights in use (activated now, they come before every other), or stop
    using them: ranking then uses the active weights activated before them, else the hand-set ones."""
    with transaction.atomic():
        stored = RankerWeights.objects.select_for_update().get(pk=stored.pk)
        before = audit.snapshot(stored)
        stored.is_active = in_use
        fields = ["is_active"]
        if in_use:
            stored.activated_at = timezone.now()
            fields.append("activated_at")
        stored.save(update_fields=fields)
        audit.record(
            stored, user=user, operation="use_weights" if in_use else "stop_using_weights", before=before
        )
    return stored


def revert_weights(*, user=None):
    """Goes back to the weights used before the ones in use now: those are no longer used. Returns
    the weights no longer used."""
    with transaction.atomic():
        current = (
            RankerWeights.objects.select_for_update()
            .filter(is_active=True)
            .order_by("-activated_at", "-id")
            .first()
        )
        if current is None:
            raise Conflict(
                _("Ranking already uses the hand-set weights: there is nothing to go back from."),
                code="nothing_to_undo",
            )
        return set_weights_in_use(current, user=user, in_use=False)
