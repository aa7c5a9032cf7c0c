"""The match lifecycle, from an expression of interest to its outcome.

    express interest           -> proposed
    accept, decline            proposed -> accepted, declined      (the side that did not express interest)
    withdraw                   proposed -> withdrawn               (the side that expressed interest)
    start                      accepted -> in progress             (either side)
    complete (outcomes.py)     in progress -> completed            (either side)
    cancel                     accepted, in progress -> cancelled  (either side)

    (an accept that fills a posting)  proposed -> filled   its other proposals, closed
    (the daily run, followups.py)     proposed -> expired  unanswered for PROPOSAL_EXPIRY_DAYS

Staff may take any step for either side. Every step is recorded (MatchEvent), audited, and told to
the other side's editors.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    ACTIVE_MATCH_STATUSES,
    Direction,
    MatchStatus,
    MemberRole,
    Moderation,
    NotificationKind,
    OpportunityStatus,
)
from matchmaking.models import Match, MatchEvent, Membership, Opportunity

from . import audit, notifications
from .errors import Conflict, NotAllowed, ServiceError

INITIATOR, RESPONDER, EITHER = "initiator", "responder", "either"

# action: (states it may start from, state it leads to, whose editors may take it)
TRANSITIONS = {
    "accept": ((MatchStatus.PROPOSED,), MatchStatus.ACCEPTED, RESPONDER),
    "decline": ((MatchStatus.PROPOSED,), MatchStatus.DECLINED, RESPONDER),
    "withdraw": ((MatchStatus.PROPOSED,), MatchStatus.WITHDRAWN, INITIATOR),
    "start": ((MatchStatus.ACCEPTED,), MatchStatus.IN_PROGRESS, EITHER),
    "complete": ((MatchStatus.IN_PROGRESS,), MatchStatus.COMPLETED, EITHER),
    "cancel": ((MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS), MatchStatus.CANCELLED, EITHER),
}
PAST = {
    "accept": _("accepted"),
    "decline": _("declined"),
    "withdraw": _("withdrawn"),
    "start": _("started"),
    "complete": _("completed"),
    "cancel": _("cancelled"),
}
UNDER_WAY = _("These two postings already have a match under way.")
# Why a step is refused in the match's current status.
STEP_RULES = {
    "accept": _("Only a proposed match can be accepted."),
    "decline": _("Only a proposed match can be declined."),
    "withdraw": _("Only a proposed match can be withdrawn."),
    "start": _("Only an accepted match can be started."),
    "complete": _("Only a match in progress can be completed."),
    "cancel": _("Only an accepted match, or one in progress, can be cancelled."),
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


def check_step(match, user, action):
    """Raises NotAllowed or Conflict unless the user may take the step on the match now."""
    sources, _target, side = TRANSITIONS[action]
    sides = sides_of(match, user)
    if not sides:
        raise NotAllowed(
            _("Only the editors of the two organizations, and staff, may act on this match."),
            code="not_a_side",
        )
    if match.status == MatchStatus.FILLED and action == "accept":
        raise Conflict(
            _("This proposal was closed: one of the two postings has no room left."), code="no_capacity"
        )
    if match.status not in sources:
        raise Conflict(
            _("This match is “%(status)s”. %(rule)s")
            % {"status": match.get_status_display(), "rule": STEP_RULES[action]},
            code="wrong_status",
        )
    if side == RESPONDER and RESPONDER not in sides:
        raise NotAllowed(
            _("Only the other side's editors may answer this expression of interest."),
            code="not_the_responder",
        )
    if side == INITIATOR and INITIATOR not in sides:
        raise NotAllowed(
            _("Only the side that expressed interest may withdraw it."), code="not_the_initiator"
        )


def check_matchable(request, offer, today=None):
    """Raises Conflict unless the two opportunities pass the hard filters for each other: both open,
    not ended nor past their deadline, with capacity left, and the request's country eligible for
    the offer (the rules of `recommendations.filters`, on the same queryset methods)."""
    today = today or timezone.localdate()
    pair = Opportunity.objects.filter(pk__in=[request.pk, offer.pk])
    live = set(pair.live(today).values_list("pk", flat=True))
    with_room = set(pair.with_capacity_left().values_list("pk", flat=True))
    for opportunity in (request, offer):
        said = UNMATCHABLE[opportunity.direction]
        if opportunity.pk not in live:
            if opportunity.status != OpportunityStatus.OPEN:
                raise Conflict(said["not_open"], code="not_open")
            if opportunity.moderation != Moderation.APPROVED:
                raise Conflict(said["not_approved"], code="not_approved")
            raise Conflict(said["ended"], code="ended")
        if opportunity.pk not in with_room:
            raise Conflict(said["full"], code="no_capacity")
    if not Opportunity.objects.filter(pk=offer.pk).eligible_for(request.organization.country_id).exists():
        raise Conflict(
            _("The requesting organization's country is not eligible for this offer."), code="not_eligible"
        )


# Why two postings cannot be matched, said of the request or of the offer.
UNMATCHABLE = {
    Direction.REQUEST: {
        "not_open": _("The request is not open."),
        "not_approved": _("The request waits for the secretariat's approval."),
        "ended": _("The request has ended or its application deadline has passed."),
        "full": _("The request has no capacity left."),
    },
    Direction.OFFER: {
        "not_open": _("The offer is not open."),
        "not_approved": _("The offer waits for the secretariat's approval."),
        "ended": _("The offer has ended or its application deadline has passed."),
        "full": _("The offer has no capacity left."),
    },
}


def _initiator(user, request, offer, initiated_by):
    """The id of the organization that expresses interest, checked against what the user edits for."""
    sides = {request.organization_id, offer.organization_id}
    if initiated_by is not None:
        if initiated_by.pk not in sides:
            raise ServiceError(
                _("Interest is expressed by one of the two organizations."),
                field="initiated_by",
                code="invalid",
            )
        if not initiated_by.has_editor(user):
            raise NotAllowed(
                _("Only the organization's editors, and staff, may express interest for it."),
                code="not_an_editor",
            )
        return initiated_by.pk
    mine = sides if user.is_authenticated and user.is_staff else sides & editor_organization_ids(user)
    if not mine:
        raise NotAllowed(
            _("Only the editors of one of the two organizations may express interest."), code="not_a_side"
        )
    if len(mine) > 1:
        raise ServiceError(
            _("Say for which of the two organizations you express interest."),
            field="initiated_by",
            code="required",
        )
    [initiator_id] = mine
    return initiator_id


def express_interest(*, user, request, offer, message="", initiated_by=None):
    """Starts a match: the side the user edits for says it is interested in the other side's
    opportunity. A user who edits for both sides, or staff editing for neither, names the side in
    `initiated_by`."""
    if request.direction != Direction.REQUEST:
        raise ServiceError(_("This posting is not a request."), field="request", code="not_a_request")
    if offer.direction != Direction.OFFER:
        raise ServiceError(_("This posting is not an offer."), field="offer", code="not_an_offer")
    if request.organization_id == offer.organization_id:
        raise ServiceError(
            _("An organization cannot match its own postings."), field="offer", code="own_posting"
        )
    initiator_id = _initiator(user, request, offer, initiated_by)
    with transaction.atomic():
        # as accept does, so that no proposal is made on a posting that an accept is filling
        lock_opportunities(request.pk, offer.pk)
        check_matchable(request, offer)
        if Match.objects.filter(request=request, offer=offer, status__in=ACTIVE_MATCH_STATUSES).exists():
            raise Conflict(UNDER_WAY, code="under_way")
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
            raise Conflict(UNDER_WAY, code="under_way") from error
        MatchEvent.objects.create(match=match, actor=user, to_status=MatchStatus.PROPOSED, note=message)
        audit.record(match, user=user, operation="express_interest")
        match = Match.objects.with_sides().get(pk=match.pk)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_EXPRESSED,
            organization_ids=[responder_id(match)],
            actor=user,
            note=message,
        )
    return match


def take_step(match, *, user, action, note="", before=None):
    """Takes one step of TRANSITIONS on a locked match, records it, and returns the fresh match.
    `before(match)` runs once the step is known to be allowed, inside the transaction."""
    _sources, target, _side = TRANSITIONS[action]
    with transaction.atomic():
        match = Match.objects.select_for_update(of=("self",)).with_sides().get(pk=match.pk)
        check_step(match, user, action)
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


def lock_opportunities(*ids):
    """Locks the opportunities' rows, always in the same order, so that two steps never deadlock."""
    return list(Opportunity.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def check_capacity(match):
    """Both opportunities still have a free slot (their rows are locked by the caller)."""
    check_matchable(match.request, match.offer)


def accept_match(match, *, user, note=""):
    """The other side accepts: the match takes one unit of each opportunity's capacity. Their rows
    are locked first, so that two accepts at the same moment cannot oversell an offer or a request.
    An opportunity that this fills closes its other proposals (`close_proposals_if_full`)."""
    with transaction.atomic():
        lock_opportunities(match.request_id, match.offer_id)
        match = take_step(match, user=user, action="accept", note=note, before=check_capacity)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_ACCEPTED,
            organization_ids=[match.initiated_by_id],
            actor=user,
            note=note,
        )
        for opportunity in (match.request, match.offer):
            close_proposals_if_full(opportunity, user=user)
    return match


def close_proposals_if_full(opportunity, *, user=None):
    """When the opportunity has no room left, closes the proposals still waiting on it as `filled`
    (nobody can accept them any more) and tells the other side of each; returns them. The caller
    holds the opportunity's row lock, as every step that takes capacity does."""
    if Opportunity.objects.filter(pk=opportunity.pk).with_capacity_left().exists():
        return []
    field = "request" if opportunity.direction == Direction.REQUEST else "offer"
    waiting = (
        Match.objects.select_for_update(of=("self",))
        .with_sides()
        .filter(**{field: opportunity}, status=MatchStatus.PROPOSED)
        .order_by("pk")
    )
    closed = []
    for match in waiting:
        match.status = MatchStatus.FILLED
        match.save(update_fields=["status", "updated_at"])
        MatchEvent.objects.create(match=match, from_status=MatchStatus.PROPOSED, to_status=MatchStatus.FILLED)
        audit.record(
            match,
            user=user,
            operation="close_filled_match",
            before={"status": MatchStatus.PROPOSED},
            after={"status": MatchStatus.FILLED},
        )
        other = match.offer if field == "request" else match.request
        notifications.proposal_filled(
            match, full=opportunity, organization_ids=[other.organization_id], actor=user
        )
        closed.append(match)
    return closed


def expire_proposal(match_id, *, days):
    """A proposal left unanswered for `days` (PROPOSAL_EXPIRY_DAYS) expires, and both sides are told:
    the daily run's step (`followups.expire_proposals`). Returns the match, or None if it was answered
    meanwhile."""
    with transaction.atomic():
        match = (
            Match.objects.select_for_update(of=("self",))
            .with_sides()
            .filter(pk=match_id, status=MatchStatus.PROPOSED)
            .first()
        )
        if match is None:
            return None
        match.status = MatchStatus.EXPIRED
        match.save(update_fields=["status", "updated_at"])
        MatchEvent.objects.create(
            match=match, from_status=MatchStatus.PROPOSED, to_status=MatchStatus.EXPIRED
        )
        audit.record(
            match,
            operation="expire_match",
            before={"status": MatchStatus.PROPOSED},
            after={"status": MatchStatus.EXPIRED},
        )
        notifications.proposal_expired(match, days=days)
    return match


def decline_match(match, *, user, note=""):
    with transaction.atomic():
        match = take_step(match, user=user, action="decline", note=note)
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
        match = take_step(match, user=user, action="withdraw", note=note)
        notifications.match_event(
            match,
            NotificationKind.INTEREST_WITHDRAWN,
            organization_ids=[responder_id(match)],
            actor=user,
            note=note,
        )
    return match


def start_match(match, *, user, note=""):
    return take_step(match, user=user, action="start", note=note)


def cancel_match(match, *, user, note=""):
    """Either side ends an accepted match before its outcome; its capacity is freed."""
    with transaction.atomic():
        match = take_step(match, user=user, action="cancel", note=note)
        notifications.match_event(
            match,
            NotificationKind.MATCH_CANCELLED,
            organization_ids=[match.request.organization_id, match.offer.organization_id],
            actor=user,
            note=note,
        )
    return match


# The steps that take only a note, by action (complete also takes an outcome: outcomes.complete_match).
STEPS = {
    "accept": accept_match,
    "decline": decline_match,
    "withdraw": withdraw_match,
    "start": start_match,
    "cancel": cancel_match,
}
