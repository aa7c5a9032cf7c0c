"""Domain operations. Views and viewsets validate input and call these; they do the work in a
transaction, and are the only code that calls into `ml/`."""

import datetime
import decimal
import logging
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from matchmaking import audit, notifications
from matchmaking.choices import (
    ACTIVE_MATCH_STATUSES,
    CAPACITY_HOLDING_STATUSES,
    Direction,
    EmbeddingStatus,
    MatchStatus,
    MemberRole,
    Moderation,
    NotificationKind,
    OpportunityStatus,
)
from matchmaking.models import (
    AlertPreference,
    AlertSent,
    JoinRequest,
    Match,
    MatchEvent,
    Membership,
    Objective,
    Opportunity,
    OpportunityEmbedding,
    Organization,
    Outcome,
    OutcomeIndicator,
    RankerWeights,
)

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
        opportunity.moderation = Opportunity.moderation_for(user, opportunity.organization)
        if opportunity.status == OpportunityStatus.OPEN:
            opportunity.published_at = timezone.now()
        opportunity.save()
        for name, values in m2m.items():
            getattr(opportunity, name).set(values)
        OpportunityEmbedding.objects.create(opportunity=opportunity)
        after = {**audit.snapshot(opportunity), **{name: audit.keys(values) for name, values in m2m.items()}}
        audit.record(opportunity, user=user, operation="create_opportunity", after=after)
        if embed:
            schedule_embedding(opportunity.pk)
    return opportunity


def update_opportunity(opportunity, *, user, data):
    """Changes a posting; re-embeds it if its text changed."""
    data = dict(data)
    m2m = {name: data.pop(name) for name in M2M_FIELDS if name in data}
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        before = audit.snapshot(opportunity, m2m=list(m2m))
        old_text = opportunity.embedding_text()
        for name, value in data.items():
            setattr(opportunity, name, value)
        if opportunity.status == OpportunityStatus.OPEN and opportunity.published_at is None:
            opportunity.published_at = timezone.now()
        opportunity.save()
        for name, values in m2m.items():
            getattr(opportunity, name).set(values)
        after = {**audit.snapshot(opportunity), **{name: audit.keys(values) for name, values in m2m.items()}}
        audit.record(opportunity, user=user, operation="update_opportunity", before=before, after=after)
        if opportunity.embedding_text() != old_text:
            OpportunityEmbedding.objects.update_or_create(
                opportunity=opportunity, defaults={"status": EmbeddingStatus.PENDING, "attempts": 0}
            )
            schedule_embedding(opportunity.pk)
    return opportunity


def close_opportunity(opportunity, *, user):
    if opportunity.status == OpportunityStatus.CLOSED:
        raise Conflict("This posting is already closed.")
    with transaction.atomic():
        before = audit.snapshot(opportunity)
        opportunity.status = OpportunityStatus.CLOSED
        opportunity.save(update_fields=["status", "updated_at"])
        audit.record(opportunity, user=user, operation="close_opportunity", before=before)
    return opportunity


# --------------------------------------------------------------------------- embeddings


def schedule_embedding(opportunity_id):
    """Embeds the posting once the transaction commits, through the task backend. The posting is
    saved whatever happens then: a failure to embed or enqueue is logged, and the posting stays
    pending for `retry_embeddings`."""
    from matchmaking.tasks import embed_opportunity

    transaction.on_commit(lambda: embed_opportunity.enqueue(opportunity_id), robust=True)


def get_embedder():
    from ml.embeddings import default_model_path
    from ml.embeddings import get_embedder as load

    return load(settings.EMBEDDING_MODEL_PATH or default_model_path())


def embed_opportunities(ids, *, batch_size=64, force=False, progress=None):
    """Embeds the given postings whose text or model changed since their last embedding.
    Returns how many were embedded. A failure (the model missing or broken) marks the rows `failed`
    and counts the attempt, for `retry_embeddings`; the postings themselves are untouched."""
    from ml.embeddings import text_hash

    ids = list(ids)
    try:
        embedder = get_embedder()
    except Exception as error:  # noqa: BLE001 - any model failure leaves the postings to retry
        logger.exception("The embedding model could not be loaded")
        mark_embedding_failed(ids, error)
        return 0
    done = 0
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
                mark_embedding_failed([pk for pk, _, _ in todo], error)
                continue
            with transaction.atomic():  # one commit per batch, not one per posting
                for (pk, _, digest), vector in zip(todo, vectors, strict=True):
                    OpportunityEmbedding.objects.update_or_create(
                        opportunity_id=pk,
                        defaults={
                            "status": EmbeddingStatus.READY,
                            "model_name": embedder.name,
                            "text_hash": digest,
                            "vector": np.asarray(vector, dtype=np.float32).tobytes(),
                            "error": "",
                            "attempts": 0,
                        },
                    )
            done += len(todo)
        if progress:
            progress(len(chunk))
    return done


def mark_embedding_failed(ids, error):
    """Marks the postings' embeddings `failed` with the error, and counts one more failed attempt."""
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
    """The postings whose embedding failed fewer than EMBEDDING_MAX_ATTEMPTS times, or is still pending
    EMBEDDING_STALE_MINUTES after it was asked for (its task was lost, or the worker is down)."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(minutes=settings.EMBEDDING_STALE_MINUTES)
    return OpportunityEmbedding.objects.filter(
        Q(status=EmbeddingStatus.FAILED, attempts__lt=settings.EMBEDDING_MAX_ATTEMPTS)
        | Q(status=EmbeddingStatus.PENDING, updated_at__lt=stale)
    )


def retry_embeddings(now=None):
    """Embeds again the postings of `embeddings_to_retry`; returns how many are now embedded. Loads the
    model only if there is something to retry."""
    ids = list(embeddings_to_retry(now).order_by("pk").values_list("pk", flat=True))
    return embed_opportunities(ids) if ids else 0


# --------------------------------------------------------------------------- matches


class NotAllowed(ServiceError):
    """The user may not take this step (a 403), whatever the state of the match."""


INITIATOR, RESPONDER, EITHER = "initiator", "responder", "either"

# The match lifecycle. action: (states it may start from, state it leads to, whose editors may take it).
# Staff may take any step for either side.
TRANSITIONS = {
    "accept": ((MatchStatus.PROPOSED,), MatchStatus.ACCEPTED, RESPONDER),
    "decline": ((MatchStatus.PROPOSED,), MatchStatus.DECLINED, RESPONDER),
    "withdraw": ((MatchStatus.PROPOSED,), MatchStatus.WITHDRAWN, INITIATOR),
    "start": ((MatchStatus.ACCEPTED,), MatchStatus.IN_PROGRESS, EITHER),
    "complete": ((MatchStatus.IN_PROGRESS,), MatchStatus.COMPLETED, EITHER),
    "cancel": ((MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS), MatchStatus.CANCELLED, EITHER),
}
PAST = {
    "accept": "accepted",
    "decline": "declined",
    "withdraw": "withdrawn",
    "start": "started",
    "complete": "completed",
    "cancel": "cancelled",
}


def editor_organization_ids(user):
    """The ids of the organizations the user edits for (one query)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, role=MemberRole.EDITOR).values_list("organization_id", flat=True)
    )


def responder_id(match):
    """The organization that answers the expression of interest."""
    if match.initiated_by_id == match.request.organization_id:
        return match.offer.organization_id
    return match.request.organization_id


def sides_of(match, user, editor_of=None):
    """For which sides of the match ({INITIATOR, RESPONDER}) the user may act."""
    if not user.is_authenticated:
        return set()
    if user.is_staff:
        return {INITIATOR, RESPONDER}
    editor_of = editor_organization_ids(user) if editor_of is None else editor_of
    sides = set()
    if match.initiated_by_id in editor_of:
        sides.add(INITIATOR)
    if responder_id(match) in editor_of:
        sides.add(RESPONDER)
    return sides


def allowed_actions(match, user, editor_of=None):
    """The steps the user may take on the match now, in the order of TRANSITIONS. Pass `editor_of`
    (from `editor_organization_ids`) when asking about many matches."""
    sides = sides_of(match, user, editor_of)
    return [
        action
        for action, (sources, _target, side) in TRANSITIONS.items()
        if match.status in sources and (side in sides or (side == EITHER and sides))
    ]


def _check_step(match, user, action):
    sources, _target, side = TRANSITIONS[action]
    sides = sides_of(match, user)
    if not sides:
        raise NotAllowed("Only the editors of the two organizations, and staff, may act on this match.")
    if match.status not in sources:
        states = " or ".join(str(s).replace("_", " ") for s in sources)
        current = match.status.replace("_", " ")
        article = "an" if states[0] in "aeiou" else "a"
        raise Conflict(f"This match is {current}: only {article} {states} match can be {PAST[action]}.")
    if side == RESPONDER and RESPONDER not in sides:
        raise NotAllowed(f"Only the other side's editors may {action} this expression of interest.")
    if side == INITIATOR and INITIATOR not in sides:
        raise NotAllowed("Only the side that expressed interest may withdraw it.")


def check_matchable(request, offer, today=None):
    """Raises Conflict unless the two postings pass the hard filters for each other: both open, not
    ended nor past their deadline, with capacity left, and the request's country eligible for the offer
    (the rules of `matching.candidates_for`, on the same queryset methods)."""
    today = today or timezone.localdate()
    pair = Opportunity.objects.filter(pk__in=[request.pk, offer.pk])
    live = set(pair.live(today).values_list("pk", flat=True))
    with_room = set(pair.with_capacity_left().values_list("pk", flat=True))
    for posting in (request, offer):
        kind = posting.get_direction_display().lower()
        if posting.pk not in live:
            if posting.status != OpportunityStatus.OPEN:
                raise Conflict(f"The {kind} is not open.")
            raise Conflict(f"The {kind} has ended or its application deadline has passed.")
        if posting.pk not in with_room:
            raise Conflict(f"The {kind} has no capacity left.")
    if not Opportunity.objects.filter(pk=offer.pk).eligible_for(request.organization.country_id).exists():
        raise Conflict("The requesting organization's country is not eligible for this offer.")


def express_interest(*, user, request, offer, message="", initiated_by=None):
    """Starts a match: the side the user edits for says it is interested in the other side's posting.
    A user who edits for both sides, or staff editing for neither, names the side in `initiated_by`."""
    if request.direction != Direction.REQUEST:
        raise ServiceError("This posting is not a request.", field="request")
    if offer.direction != Direction.OFFER:
        raise ServiceError("This posting is not an offer.", field="offer")
    if request.organization_id == offer.organization_id:
        raise ServiceError("An organization cannot match its own postings.", field="offer")
    sides = {request.organization_id, offer.organization_id}
    if initiated_by is not None:
        if initiated_by.pk not in sides:
            raise ServiceError("Interest is expressed by one of the two organizations.", field="initiated_by")
        if not initiated_by.has_editor(user):
            raise NotAllowed("Only the organization's editors, and staff, may express interest for it.")
        initiator_id = initiated_by.pk
    else:
        mine = sides if user.is_authenticated and user.is_staff else sides & editor_organization_ids(user)
        if not mine:
            raise NotAllowed("Only the editors of one of the two organizations may express interest.")
        if len(mine) > 1:
            raise ServiceError(
                "Say for which of the two organizations you express interest.", field="initiated_by"
            )
        [initiator_id] = mine
    with transaction.atomic():
        check_matchable(request, offer)
        if Match.objects.filter(request=request, offer=offer, status__in=ACTIVE_MATCH_STATUSES).exists():
            raise Conflict("These two postings already have a match under way.")
        try:
            with transaction.atomic():
                match = Match.objects.create(
                    request=request,
                    offer=offer,
                    initiated_by_id=initiator_id,
                    created_by=user,
                    message=message,
                )
        except IntegrityError as error:  # the same pair, at the same moment
            raise Conflict("These two postings already have a match under way.") from error
        MatchEvent.objects.create(match=match, actor=user, to_status=MatchStatus.PROPOSED, note=message)
        audit.record(match, user=user, operation="express_interest")
        match = Match.objects.select_related(*MATCH_RELATED).get(pk=match.pk)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_EXPRESSED,
            organization_ids=[responder_id(match)],
            actor=user,
            note=message,
        )
    return match


MATCH_RELATED = ("request__organization", "offer__organization", "initiated_by")


def _step(match, *, user, action, note="", before=None):
    """Takes one step of TRANSITIONS on a locked match, records it, and returns the fresh match.
    `before(match)` runs once the step is known to be allowed, inside the transaction."""
    _sources, target, _side = TRANSITIONS[action]
    with transaction.atomic():
        match = Match.objects.select_for_update(of=("self",)).select_related(*MATCH_RELATED).get(pk=match.pk)
        _check_step(match, user, action)
        if before is not None:
            before(match)
        previous = match.status
        match.status = target
        match.save(update_fields=["status", "updated_at"])
        MatchEvent.objects.create(match=match, actor=user, from_status=previous, to_status=target, note=note)
        audit.record(
            match,
            user=user,
            operation=f"{action}_match",
            before={"status": previous},
            after={"status": target},
        )
    return match


def lock_postings(*ids):
    """Locks the postings' rows, always in the same order, so that two steps never deadlock."""
    return list(Opportunity.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def check_capacity(match):
    """Both postings still have a free slot (their rows are locked by the caller)."""
    check_matchable(match.request, match.offer)


def accept_match(match, *, user, note=""):
    """The other side accepts: the match takes one unit of each posting's capacity. The postings'
    rows are locked first, so that two accepts at the same moment cannot oversell an offer."""
    with transaction.atomic():
        lock_postings(match.request_id, match.offer_id)
        match = _step(match, user=user, action="accept", note=note, before=check_capacity)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_ACCEPTED,
            organization_ids=[match.initiated_by_id],
            actor=user,
            note=note,
        )
    return match


def decline_match(match, *, user, note=""):
    with transaction.atomic():
        match = _step(match, user=user, action="decline", note=note)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_DECLINED,
            organization_ids=[match.initiated_by_id],
            actor=user,
            note=note,
        )
    return match


def withdraw_match(match, *, user, note=""):
    with transaction.atomic():
        match = _step(match, user=user, action="withdraw", note=note)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_WITHDRAWN,
            organization_ids=[responder_id(match)],
            actor=user,
            note=note,
        )
    return match


def start_match(match, *, user, note=""):
    return _step(match, user=user, action="start", note=note)


def cancel_match(match, *, user, note=""):
    """Either side ends an accepted match before its outcome; its capacity is freed."""
    with transaction.atomic():
        match = _step(match, user=user, action="cancel", note=note)
        notifications.match_event(
            match,
            NotificationKind.MATCH_CANCELLED,
            organization_ids=[match.request.organization_id, match.offer.organization_id],
            actor=user,
            note=note,
        )
    return match


def complete_match(match, *, user, outcome):
    """Either side closes a match in progress with its outcome: `outcome` holds summary, achieved_on
    (default today), evidence_url, is_private, objectives (default: both postings'), indicators (a list
    of {key, label, value, unit}). Returns the Outcome."""
    fields = clean_outcome(outcome)
    with transaction.atomic():
        match = _step(match, user=user, action="complete", note=fields["summary"][:500])
        objectives = fields.pop("objectives")
        indicators = fields.pop("indicators")
        record = Outcome.objects.create(match=match, created_by=user, **fields)
        if objectives is None:
            objectives = posting_objectives(match)
        record.objectives.set(objectives)
        OutcomeIndicator.objects.bulk_create(
            [OutcomeIndicator(outcome=record, **row) for row in (indicators or [])]
        )
        audit.record(
            record,
            user=user,
            operation="complete_match",
            after={
                **audit.snapshot(record, m2m=["objectives"]),
                "indicators": indicator_values(indicators or []),
            },
        )
        notifications.match_event(
            match,
            NotificationKind.MATCH_COMPLETED,
            organization_ids=[match.request.organization_id, match.offer.organization_id],
            actor=user,
            note=fields["summary"],
        )
    return record


def posting_objectives(match):
    """The objectives of both postings: an outcome's default."""
    return Objective.objects.filter(opportunities__in=[match.request_id, match.offer_id]).distinct()


OUTCOME_FIELDS = ("summary", "achieved_on", "evidence_url", "is_private", "objectives", "indicators")


def clean_outcome(data, *, partial=False):
    """Checks an outcome's fields (all of them, or those given when `partial`) and returns them with
    defaults filled in; `objectives` None means the postings' objectives."""
    unknown = set(data) - set(OUTCOME_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown outcome fields: {', '.join(sorted(unknown))}.")
    fields = dict(data)
    if not partial:
        fields.setdefault("achieved_on", None)
        fields.setdefault("objectives", None)
        fields.setdefault("indicators", [])
        fields.setdefault("summary", "")
    if "summary" in fields:
        fields["summary"] = (fields["summary"] or "").strip()
        if not fields["summary"]:
            raise ServiceError("Say what the cooperation achieved.", field="summary")
    if "achieved_on" in fields:
        if fields["achieved_on"] is None:
            fields["achieved_on"] = timezone.localdate()
        if fields["achieved_on"] > timezone.localdate():
            raise ServiceError("An outcome cannot be dated in the future.", field="achieved_on")
    if "evidence_url" in fields:
        fields["evidence_url"] = fields["evidence_url"] or ""
    if "indicators" in fields:
        fields["indicators"] = [clean_indicator(row) for row in fields["indicators"] or []]
    return fields


def clean_indicator(row):
    row = {
        "key": row.get("key"),
        "label": row.get("label") or "",
        "value": row.get("value"),
        "unit": row.get("unit") or "",
    }
    indicator = OutcomeIndicator(**row)
    try:
        indicator.full_clean(exclude=["outcome"])
    except ValidationError as error:
        messages = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items())
        raise ServiceError(f"Indicator {row['key']!s}: {messages}", field="indicators") from error
    return {name: getattr(indicator, name) for name in row}


def update_outcome(outcome, *, user, data):
    """Either side's editors change an outcome within OUTCOME_EDIT_DAYS of its recording (staff at
    any time); `indicators`, when given, replace the old ones."""
    fields = clean_outcome(data, partial=True)
    with transaction.atomic():
        outcome = (
            Outcome.objects.select_for_update(of=("self",))
            .select_related(*(f"match__{name}" for name in MATCH_RELATED))
            .get(pk=outcome.pk)
        )
        match = outcome.match
        if not sides_of(match, user):
            raise NotAllowed("Only the editors of the two organizations, and staff, may change this outcome.")
        if not user.is_staff and timezone.now() > outcome.editable_until:
            raise Conflict(
                f"This outcome can no longer be changed: it could be for {settings.OUTCOME_EDIT_DAYS} days, "
                f"until {outcome.editable_until:%Y-%m-%d}."
            )
        objectives = fields.pop("objectives", False)
        indicators = fields.pop("indicators", None)
        before = {
            **audit.snapshot(outcome, m2m=["objectives"]),
            "indicators": indicator_values(outcome.indicators.values("key", "label", "value", "unit")),
        }
        for name, value in fields.items():
            setattr(outcome, name, value)
        outcome.save(update_fields=[*fields, "updated_at"])
        if objectives is not False:
            if objectives is None:
                objectives = posting_objectives(match)
            outcome.objectives.set(objectives)
        if indicators is not None:
            outcome.indicators.all().delete()
            OutcomeIndicator.objects.bulk_create(
                [OutcomeIndicator(outcome=outcome, **row) for row in indicators]
            )
        after = {
            **audit.snapshot(outcome, m2m=["objectives"]),
            "indicators": before["indicators"] if indicators is None else indicator_values(indicators),
        }
        audit.record(outcome, user=user, operation="update_outcome", before=before, after=after)
    return outcome


def indicator_values(rows):
    """An outcome's indicators as the audit log keeps them (values to the cent, as stored)."""
    cent = decimal.Decimal("0.01")
    return [
        {
            "key": row.get("key"),
            "label": row.get("label") or "",
            "value": None if row.get("value") is None else str(decimal.Decimal(row["value"]).quantize(cent)),
            "unit": row.get("unit") or "",
        }
        for row in rows
    ]


# --------------------------------------------------------------------------- confidential contacts


@dataclass
class ContactAccess:
    """Whose hidden contact details a user may see: staff all; members their organizations'; partners
    the postings on the other side of a match that was accepted (or went further)."""

    staff: bool = False
    organizations: frozenset = frozenset()
    user: object = None
    _partners: set | None = None

    def partner_postings(self):
        if self._partners is None:
            mine = Membership.objects.filter(user=self.user).values("organization_id")
            pairs = (
                Match.objects.filter(status__in=CAPACITY_HOLDING_STATUSES)
                .filter(Q(request__organization__in=mine) | Q(offer__organization__in=mine))
                .values_list("request_id", "offer_id")
            )
            self._partners = {pk for pair in pairs for pk in pair}
        return self._partners


def contact_access(user):
    """What `can_see_contact` needs to know about the user, read once (one query, two with partners)."""
    if not user.is_authenticated:
        return ContactAccess()
    if user.is_staff:
        return ContactAccess(staff=True)
    organizations = frozenset(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    return ContactAccess(organizations=organizations, user=user)


def can_see_contact(opportunity, user, access=None):
    """Whether the user may see the posting's contact details: anyone unless they are hidden; then its
    organization's members, staff, and the other side of a match that was accepted, is in progress or
    completed. Pass `access` (from `contact_access`) when asking about many postings."""
    if not opportunity.hide_contact:
        return True
    access = access or contact_access(user)
    if access.staff or opportunity.organization_id in access.organizations:
        return True
    return access.user is not None and opportunity.pk in access.partner_postings()


# --------------------------------------------------------------------------- alerts


def alert_preferences(user):
    """The user's alert preferences (unsaved defaults, everything on, if never changed)."""
    return AlertPreference.objects.filter(user=user).first() or AlertPreference(user=user)


def set_alert_preferences(user, *, email=None, suggestions=None):
    """Switches the user's e-mails and suggestion digests on or off (None leaves one as it is)."""
    with transaction.atomic():
        preference, _ = AlertPreference.objects.select_for_update().get_or_create(user=user)
        if email is not None:
            preference.email = email
        if suggestions is not None:
            preference.suggestions = suggestions
        preference.save()
    return preference


def close_expired_postings(today=None):
    """Closes the open postings whose end date has passed and tells their editors; returns how many."""
    today = today or timezone.localdate()
    closed = 0
    for pk in Opportunity.objects.filter(status=OpportunityStatus.OPEN, ends_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            posting = (
                Opportunity.objects.select_for_update().filter(pk=pk, status=OpportunityStatus.OPEN).first()
            )
            if posting is None or not (posting.ends_on and posting.ends_on < today):
                continue
            before = audit.snapshot(posting)
            posting.status = OpportunityStatus.CLOSED
            posting.save(update_fields=["status", "updated_at"])
            audit.record(posting, operation="close_expired_postings", before=before)
            notifications.posting_closed(posting)
            closed += 1
    return closed


def remind_expiring_postings(today=None):
    """Reminds the editors of open postings that end within EXPIRY_REMINDER_DAYS, once per posting;
    returns how many postings were reminded about."""
    from matchmaking.models import Notification

    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.EXPIRY_REMINDER_DAYS)
    reminded = Notification.objects.filter(kind=NotificationKind.POSTING_EXPIRING).values("opportunity_id")
    due = (
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, ends_on__gte=today, ends_on__lte=horizon)
        .exclude(pk__in=reminded)
        .order_by("ends_on", "pk")
    )
    count = 0
    for posting in due:
        with transaction.atomic():
            if notifications.posting_expiring(posting, (posting.ends_on - today).days):
                count += 1
    return count


ALERT_CANDIDATES = 100  # how far down each new posting's recommendations to look


def find_suggestions(today=None):
    """organization id -> {new posting id: (the organization's posting, new posting, score)}: the live
    postings published within MATCH_ALERT_WINDOW_DAYS, for each open posting of another organization
    published before them that they score at least MATCH_ALERT_THRESHOLD for, and that they have no
    match with yet. (The new posting is the query: the blend is symmetric but for small details.)"""
    from matchmaking import matching

    today = today or timezone.localdate()
    first_day = today - datetime.timedelta(days=settings.MATCH_ALERT_WINDOW_DAYS)
    since = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
    new_postings = list(
        Opportunity.objects.live(today)
        .filter(published_at__gte=since)
        .select_related("organization")
        .order_by("published_at", "pk")
    )
    found = defaultdict(dict)
    for new in new_postings:
        for result in matching.recommend(new, limit=ALERT_CANDIDATES, today=today):
            if result["score"] < settings.MATCH_ALERT_THRESHOLD:
                break  # best first
            theirs = result["opportunity"]
            if theirs.published_at is None or theirs.published_at >= new.published_at:
                continue  # they saw the new posting among their own recommendations
            best = found[theirs.organization_id].get(new.pk)
            if best is None or result["score"] > best[2]:
                found[theirs.organization_id][new.pk] = (theirs, new, result["score"])
    new_ids = [posting.pk for posting in new_postings]
    matched = set(
        Match.objects.filter(Q(request__in=new_ids) | Q(offer__in=new_ids)).values_list(
            "request_id", "offer_id"
        )
    )
    for by_new in found.values():
        for new_id, (theirs, _new, _score) in list(by_new.items()):
            if (theirs.pk, new_id) in matched or (new_id, theirs.pk) in matched:
                del by_new[new_id]
    return {organization: by_new for organization, by_new in found.items() if by_new}


def send_suggestion_digests(today=None):
    """Sends each organization one digest a day of the new postings that fit its open postings
    (see `find_suggestions`), to its editors who did not switch suggestions off, never suggesting
    the same posting to it twice. Returns how many digests were sent."""
    today = today or timezone.localdate()
    found = find_suggestions(today)
    if not found:
        return 0
    sent_before = set(
        AlertSent.objects.filter(organization__in=found).values_list("organization_id", "suggested_id")
    )
    digested_today = set(
        AlertSent.objects.filter(organization__in=found, sent_on=today).values_list(
            "organization_id", flat=True
        )
    )
    organizations = Organization.objects.in_bulk(list(found))
    digests = 0
    for organization_id, by_new in sorted(found.items()):
        if organization_id in digested_today:
            continue
        rows = [row for new_id, row in by_new.items() if (organization_id, new_id) not in sent_before]
        editors = notifications.editors_of([organization_id])
        preferences = notifications.preferences_of(editors)
        recipients = [user for user in editors if preferences[user.pk].suggestions]
        if not rows or not recipients:
            continue
        try:
            with transaction.atomic():
                AlertSent.objects.bulk_create(
                    [
                        AlertSent(
                            organization_id=organization_id,
                            suggested=new,
                            for_opportunity=theirs,
                            score=score,
                            sent_on=today,
                        )
                        for theirs, new, score in rows
                    ]
                )
                notifications.suggestions_digest(organizations[organization_id], rows, recipients)
        except IntegrityError:  # a run at the same moment sent them
            continue
        digests += 1
    return digests


# --------------------------------------------------------------------------- learning from outcomes

# Answered matches are labelled examples: accepted (and what follows) 1, declined or withdrawn 0.
LABELS = {
    MatchStatus.ACCEPTED: 1,
    MatchStatus.IN_PROGRESS: 1,
    MatchStatus.COMPLETED: 1,
    MatchStatus.DECLINED: 0,
    MatchStatus.WITHDRAWN: 0,
}
LEARNING_METHOD = "logistic regression over ml.ranking.FEATURES, negative weights clipped, scaled to sum 1"


def labelled_examples():
    """The ranking features of each answered match's pair (the request as the query, among the
    offers of all answered matches) and its label, as (features, labels)."""
    from matchmaking import matching
    from ml.lexical import LexicalIndex
    from ml.ranking import FEATURES, CandidatePool, compute_features

    pairs = list(
        Match.objects.filter(status__in=list(LABELS))
        .order_by("pk")
        .values_list("request_id", "offer_id", "status")
    )
    features = np.zeros((len(pairs), len(FEATURES)), dtype=np.float32)
    labels = np.array([LABELS[status] for _, _, status in pairs], dtype=int)
    if not pairs:
        return features, labels
    ids = sorted({request for request, _, _ in pairs} | {offer for _, offer, _ in pairs})
    ready = set(
        OpportunityEmbedding.objects.filter(pk__in=ids, status=EmbeddingStatus.READY).values_list(
            "pk", flat=True
        )
    )
    if set(ids) - ready:
        embed_opportunities(sorted(set(ids) - ready))
    synonyms = matching.vocabulary_synonyms()
    postings = {
        o.pk: matching.to_posting(o, *synonyms)
        for o in Opportunity.objects.filter(pk__in=ids).prefetch_related("themes", "objectives", "languages")
    }
    vectors = dict(zip(ids, matching.load_vectors(np.array(ids, dtype=np.int64)), strict=True))
    offer_ids = sorted({offer for _, offer, _ in pairs})
    pool = CandidatePool([postings[pk] for pk in offer_ids], np.array([vectors[pk] for pk in offer_ids]))
    lexical = LexicalIndex().fit(offer_ids, [f"{p.title}. {p.description}" for p in pool.postings])
    row_of = {pk: row for row, pk in enumerate(offer_ids)}
    by_request = defaultdict(list)
    for i, (request, offer, _) in enumerate(pairs):
        by_request[request].append((i, offer))
    for request, rows in by_request.items():
        query = postings[request]
        vector = vectors[request] if vectors[request].any() else None
        scores = compute_features(query, pool, vector, lexical.score(f"{query.title}. {query.description}"))
        for i, offer in rows:
            features[i] = scores[row_of[offer]]
    return features, labels


@dataclass
class TrainingReport:
    labels: int
    positives: int
    stored: object = None  # the RankerWeights stored, if any
    learned_score: float | None = None
    baseline_score: float | None = None
    message: str = ""


def train_ranker(*, min_labels=None, dry_run=False):
    """Learns the blend's weights from answered matches when there are at least `min_labels`
    (RANKER_MIN_LABELS) of them, compares them by cross-validation with the weights in use, and
    stores them (so that they are used) only if they rank the held-out labels better."""
    from matchmaking import matching
    from ml.learning import METRIC, compare
    from ml.ranking import learn_weights

    min_labels = settings.RANKER_MIN_LABELS if min_labels is None else min_labels
    features, labels = labelled_examples()
    report = TrainingReport(labels=len(labels), positives=int(labels.sum()))
    if len(labels) < min_labels:
        report.message = f"{len(labels)} labelled matches, fewer than {min_labels}: the weights in use stay."
        return report
    baseline, provenance = matching.weights_in_use()
    comparison = compare(features, labels, baseline)
    if comparison is None:
        report.message = "Too few accepted or refused matches to compare: the weights in use stay."
        return report
    report.learned_score, report.baseline_score = comparison.learned, comparison.baseline
    scores = f"{METRIC} {comparison.learned:.4f} against {comparison.baseline:.4f} ({provenance['source']})"
    if not comparison.better:
        report.message = f"The learned weights rank no better, {scores}: the weights in use stay."
        return report
    weights = learn_weights(features, labels, min_examples=min_labels)
    if weights is None:
        report.message = "No weights could be learned: the weights in use stay."
        return report
    if dry_run:
        report.message = f"The learned weights rank better, {scores}; not stored (dry run)."
        return report
    with transaction.atomic():
        RankerWeights.objects.filter(is_active=True).update(is_active=False)
        report.stored = RankerWeights.objects.create(
            weights={name: round(value, 6) for name, value in weights.to_dict().items()},
            method=LEARNING_METHOD,
            labels=report.labels,
            positives=report.positives,
            metric=METRIC,
            score=comparison.learned,
            baseline_score=comparison.baseline,
            baseline=baseline.to_dict(),
        )
    report.message = f"The learned weights rank better, {scores}: stored as #{report.stored.pk} and in use."
    return report


# --------------------------------------------------------------------------- moderation


def approve_opportunity(opportunity, *, user):
    """Staff approve a posting that waits for approval, or show again one they had hidden."""
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        before = audit.snapshot(opportunity)
        opportunity.moderation = Moderation.APPROVED
        opportunity.moderation_reason = ""
        opportunity.save(update_fields=["moderation", "moderation_reason", "updated_at"])
        audit.record(opportunity, user=user, operation="approve_opportunity", before=before)
    return opportunity


def hide_opportunity(opportunity, *, user, reason):
    """Staff hide a posting from everyone but its organization, with a reason its editors see."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say why the posting is hidden: its editors will read it.", field="reason")
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        before = audit.snapshot(opportunity)
        opportunity.moderation = Moderation.HIDDEN
        opportunity.moderation_reason = reason
        opportunity.save(update_fields=["moderation", "moderation_reason", "updated_at"])
        audit.record(opportunity, user=user, operation="hide_opportunity", before=before)
    return opportunity


def verify_organization(organization, *, user):
    """Staff verify an organization; its postings that waited for approval are approved with it."""
    with transaction.atomic():
        organization.verified = True
        organization.save(update_fields=["verified", "updated_at"])
        waiting = organization.opportunities.select_for_update().filter(moderation=Moderation.PENDING)
        ids = list(waiting.values_list("pk", flat=True))
        waiting.update(moderation=Moderation.APPROVED, updated_at=timezone.now())
        audit.record_updates(
            Opportunity,
            ids,
            {"moderation": [Moderation.PENDING.value, Moderation.APPROVED.value]},
            user=user,
            operation="verify_organization",
        )
    return organization


# --------------------------------------------------------------------------- joining an organization


def request_to_join(organization, *, user, message=""):
    """A user asks to join an organization; its editors accept or decline."""
    if organization.memberships.filter(user=user).exists():
        raise Conflict("You are already a member of this organization.")
    join, created = JoinRequest.objects.get_or_create(
        user=user, organization=organization, defaults={"message": message}
    )
    if not created:
        raise Conflict("You have already asked to join this organization.")
    return join


def accept_join_request(join, *, user, role=MemberRole.VIEWER):
    """One of the organization's editors (or staff) makes the user a member, in the role chosen."""
    if not join.organization.has_editor(user):
        raise NotAllowed("Only the organization's editors, and staff, may accept new members.")
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(
            user=join.user, organization=join.organization, defaults={"role": role}
        )
        join.delete()
    return membership


def decline_join_request(join, *, user):
    if not join.organization.has_editor(user):
        raise NotAllowed("Only the organization's editors, and staff, may decline new members.")
    join.delete()


def mark_notification_read(notification):
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
