"""Who could help: a request that has had no proposal WHO_COULD_HELP_AFTER_DAYS after it was published,
and whose best recommended offer scores below WHO_COULD_HELP_GOOD_MATCH, gets suggestions of the
organizations that offered or completed similar cooperation before (their closed or past offers, and
the completed matches with a public outcome in which they were the offering side), each with the
reasons; its editors and staff invite one of them with one action, at most once per request.

Similar: of the request's kind of cooperation, or at least WHO_COULD_HELP_MIN_LIKENESS close in
meaning (the vectors stored with the postings, as the recommendations use them)."""

import datetime
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matchmaking.choices import (
    ACTIVE_MATCH_STATUSES,
    Direction,
    HelpReason,
    HelpStatus,
    MatchStatus,
    MemberRole,
    Moderation,
    OpportunityStatus,
)
from matchmaking.models import HelpInvitation, Match, Membership, Opportunity, Organization
from matchmaking.recommendations.likeness import likeness
from matchmaking.recommendations.recommend import recommend

from . import audit, notifications
from .errors import Conflict, NotAllowed, ServiceError

SAME_TYPE_BONUS = 0.25  # a past cooperation of the request's kind ranks above one only close in meaning
GENERIC_TYPE = "other"  # says nothing about the cooperation: never "the same kind"
SUGGESTIONS = 10  # organizations suggested for a request
REASONS_SHOWN = 3  # past cooperation named per organization
PAST_POOL = 5_000  # the newest past offers, and completed matches, compared with a request
STAFF_CANDIDATES = 100  # requests old enough without a proposal that the staff list looks at


@dataclass
class Reason:
    """One past cooperation of an organization that is like the request: an offer it made
    (`kind` OFFERED, `posting` the offer) or a match it completed as the offering side (`kind`
    COMPLETED, `posting` the match's request, `partner` the organization it helped)."""

    kind: str
    posting: Opportunity
    year: int
    likeness: float | None  # 0 to 1; None when either text has no vector yet
    same_type: bool
    partner: Organization | None = None
    match: Match | None = None

    @property
    def score(self):
        return (self.likeness or 0.0) + (SAME_TYPE_BONUS if self.same_type else 0.0)

    @property
    def text(self):
        """The reason in the active language."""
        values = {"title": self.posting.title, "year": self.year}
        if self.kind == HelpReason.COMPLETED:
            return _("completed a similar cooperation with %(partner)s in %(year)s: “%(title)s”") % {
                **values,
                "partner": self.partner.name,
            }
        return _("offered “%(title)s” in %(year)s") % values

    def as_data(self):
        """What is kept with an invitation."""
        return {
            "kind": self.kind,
            "posting": self.posting.pk,
            "match": self.match.pk if self.match else None,
            "year": self.year,
            "likeness": None if self.likeness is None else round(self.likeness, 4),
            "same_type": self.same_type,
        }


@dataclass
class Suggestion:
    """An organization that could help, its reasons (most alike first) and its invitation, if any."""

    organization: Organization
    reasons: list
    invitation: HelpInvitation | None = None

    @property
    def score(self):
        return self.reasons[0].score


@dataclass
class Advice:
    """Whether a request waits for help (`status`), since when, the score of its best recommended
    offer, and the organizations that could help (only when it waits)."""

    request: Opportunity
    status: str
    waiting_since: datetime.date | None = None
    best_score: float | None = None
    suggestions: list = field(default_factory=list)

    @property
    def waiting_days(self):
        return (timezone.localdate() - self.waiting_since).days if self.waiting_since else None

    def get_status_display(self):
        return HelpStatus(self.status).label


# --------------------------------------------------------------------------- reading


def _published_on(request):
    return timezone.localdate(request.published_at or request.created_at)


def has_active_match(request):
    return Match.objects.filter(request=request, status__in=ACTIVE_MATCH_STATUSES).exists()


def help_status(request, *, today=None, best_score=None):
    """(HelpStatus, the score of its best recommended offer or None): a request waits for help once it
    is live, published WHO_COULD_HELP_AFTER_DAYS ago, has no proposal under way or accepted (declined
    and withdrawn ones do not count), and its best recommended offer scores below
    WHO_COULD_HELP_GOOD_MATCH. `best_score`, when the caller ranked the request already, saves a
    ranking (None: rank it)."""
    today = today or timezone.localdate()
    if request.direction != Direction.REQUEST:
        return HelpStatus.NOT_A_REQUEST, None
    if not Opportunity.objects.live(today).filter(pk=request.pk).exists():
        return HelpStatus.NOT_OPEN, None
    if has_active_match(request):
        return HelpStatus.HAS_PROPOSAL, None
    if (today - _published_on(request)).days < settings.WHO_COULD_HELP_AFTER_DAYS:
        return HelpStatus.TOO_EARLY, None
    if best_score is None:
        best = recommend(request, limit=1, today=today)
        best_score = best[0]["score"] if best else 0.0
    if best_score >= settings.WHO_COULD_HELP_GOOD_MATCH:
        return HelpStatus.GOOD_MATCH, best_score
    return HelpStatus.WAITING, best_score


def who_could_help(request, *, today=None, best_score=None):
    """The Advice for one request: the organizations that could help, best first, when it waits."""
    today = today or timezone.localdate()
    status, best_score = help_status(request, today=today, best_score=best_score)
    advice = Advice(request=request, status=status, best_score=best_score)
    if status == HelpStatus.WAITING:
        advice.waiting_since = _published_on(request)
        advice.suggestions = suggestions_for([request], today=today)[request.pk]
    return advice


def requests_waiting_for_help(today=None):
    """The Advice of every request that waits for help, waiting longest first (among the
    STAFF_CANDIDATES that waited longest without a proposal)."""
    today = today or timezone.localdate()
    since = timezone.make_aware(
        datetime.datetime.combine(
            today - datetime.timedelta(days=settings.WHO_COULD_HELP_AFTER_DAYS - 1), datetime.time.min
        )
    )
    active = Match.objects.filter(request=OuterRef("pk"), status__in=ACTIVE_MATCH_STATUSES)
    candidates = (
        Opportunity.objects.live(today)
        .filter(direction=Direction.REQUEST)
        .annotate(published=Coalesce("published_at", "created_at"))
        .filter(published__lt=since)
        .exclude(Exists(active))
        .select_related("organization__country", "cooperation_type")
        .order_by("published", "id")[:STAFF_CANDIDATES]
    )
    waiting = []
    for request in candidates:
        status, best_score = help_status(request, today=today)
        if status == HelpStatus.WAITING:
            waiting.append(Advice(request, status, _published_on(request), best_score))
    found = suggestions_for([advice.request for advice in waiting], today=today)
    for advice in waiting:
        advice.suggestions = found[advice.request.pk]
    return waiting


def suggestions_for(requests, *, today=None):
    """request id -> [Suggestion], best first: the organizations (with an editor, other than the
    request's own, and not already the other side of a match on it) whose past offers or completed
    cooperation are like the request."""
    today = today or timezone.localdate()
    if not requests:
        return {}
    offers, matches = _past_offers(today), _completed_matches()
    pool = [offer.pk for offer in offers] + [pk for m in matches for pk in (m.request_id, m.offer_id)]
    alike = likeness([request.pk for request in requests], pool)
    column = {pk: i for i, pk in enumerate(pool)}
    with_editors = set(
        Membership.objects.filter(role=MemberRole.EDITOR, user__is_active=True).values_list(
            "organization_id", flat=True
        )
    )
    met = _partners_met([request.pk for request in requests])
    invited = {}
    for invitation in HelpInvitation.objects.filter(request__in=requests):
        invited[(invitation.request_id, invitation.organization_id)] = invitation
    found = {}
    for row, request in enumerate(requests):
        excluded = {request.organization_id, *met.get(request.pk, ())}
        by_organization = {}
        for organization, reason in _past_cooperation(request, offers, matches, alike[row], column):
            if organization.pk in excluded or organization.pk not in with_editors:
                continue
            if reason.same_type or (reason.likeness or 0.0) >= settings.WHO_COULD_HELP_MIN_LIKENESS:
                by_organization.setdefault(organization.pk, (organization, []))[1].append(reason)
        ranked = []
        for organization, reasons in by_organization.values():
            reasons.sort(key=lambda reason: (-reason.score, -reason.year, reason.posting.pk))
            invitation = invited.get((request.pk, organization.pk))
            suggestion = Suggestion(organization, reasons[:REASONS_SHOWN], invitation)
            ranked.append(
                ((-suggestion.score, -len(reasons), organization.name, organization.pk), suggestion)
            )
        ranked.sort(key=lambda pair: pair[0])
        found[request.pk] = [suggestion for _key, suggestion in ranked[:SUGGESTIONS]]
    return found


def _past_cooperation(request, offers, matches, alike, column):
    """(organization, Reason) for each past offer and each completed match, as compared with the
    request (`alike`: the request's likeness to each posting of the pool, at `column[posting id]`)."""

    def alike_to(*postings):
        known = [float(alike[column[p.pk]]) for p in postings if not math.isnan(alike[column[p.pk]])]
        return max(known) if known else None

    for offer in offers:
        yield (
            offer.organization,
            Reason(
                kind=HelpReason.OFFERED,
                posting=offer,
                year=(offer.published_at or offer.created_at).year,
                likeness=alike_to(offer),
                same_type=_same_type(request, offer),
            ),
        )
    for match in matches:
        yield (
            match.offer.organization,
            Reason(
                kind=HelpReason.COMPLETED,
                posting=match.request,
                year=match.outcome.achieved_on.year,
                likeness=alike_to(match.request, match.offer),
                same_type=_same_type(request, match.request, match.offer),
                partner=match.request.organization,
                match=match,
            ),
        )


def _same_type(request, *postings):
    return request.cooperation_type_id != GENERIC_TYPE and any(
        posting.cooperation_type_id == request.cooperation_type_id for posting in postings
    )


def _past_offers(today):
    """Offers that were public and are over: closed, ended or past their deadline (never a draft, nor
    one waiting for approval or hidden), newest first."""
    over = Q(status=OpportunityStatus.CLOSED) | Q(ends_on__lt=today) | Q(application_deadline__lt=today)
    return list(
        Opportunity.objects.filter(over, direction=Direction.OFFER, moderation=Moderation.APPROVED)
        .exclude(status=OpportunityStatus.DRAFT)
        .select_related("organization__country")
        .order_by("-created_at", "-id")[:PAST_POOL]
    )


def _completed_matches():
    """Completed matches whose outcome is public, newest first."""
    return list(
        Match.objects.filter(status=MatchStatus.COMPLETED, outcome__is_private=False)
        .select_related("request__organization__country", "offer__organization__country", "outcome")
        .order_by("-outcome__achieved_on", "-id")[:PAST_POOL]
    )


def _partners_met(request_ids):
    """request id -> the organizations of the offers it had a match with, in any state."""
    met = {}
    for request_id, organization_id in Match.objects.filter(request__in=request_ids).values_list(
        "request_id", "offer__organization_id"
    ):
        met.setdefault(request_id, set()).add(organization_id)
    return met


# --------------------------------------------------------------------------- inviting

REFUSALS = {
    HelpStatus.NOT_A_REQUEST: gettext_lazy("Only a request can get help from the organizations suggested."),
    HelpStatus.NOT_OPEN: gettext_lazy("The request is not open, approved and running."),
    HelpStatus.HAS_PROPOSAL: gettext_lazy("The request has a proposal under way or accepted."),
    HelpStatus.TOO_EARLY: gettext_lazy("The request was published too recently to look for other help."),
    HelpStatus.GOOD_MATCH: gettext_lazy("A recommended offer fits the request well: propose it first."),
}


def may_ask_for_help(request, user):
    """The request's editors and staff see who could help and invite them."""
    return request.organization.has_editor(user)


def invite_to_help(request, organization, *, user, today=None):
    """Invites a suggested organization to help with a request that waits for help: its editors are
    told (in-app and by e-mail, each in their language) with a link to the request. Once per
    organization and request (a second time is a Conflict)."""
    if not may_ask_for_help(request, user):
        raise NotAllowed(
            _("Only the request's editors and staff may invite organizations to help."), code="not_an_editor"
        )
    with transaction.atomic():
        request = (
            Opportunity.objects.select_for_update(of=("self",))
            .select_related("organization__country")
            .get(pk=request.pk)
        )
        if HelpInvitation.objects.filter(request=request, organization=organization).exists():
            raise Conflict(
                _("%(organization)s was already invited to help with this request.")
                % {"organization": organization.name},
                code="already_invited",
            )
        advice = who_could_help(request, today=today)
        if advice.status != HelpStatus.WAITING:
            raise Conflict(str(REFUSALS[advice.status]), code=advice.status)
        suggestion = next((s for s in advice.suggestions if s.organization.pk == organization.pk), None)
        if suggestion is None:
            raise ServiceError(
                _("This organization is not among those suggested for this request."),
                field="organization",
                code="not_suggested",
            )
        invitation = HelpInvitation.objects.create(
            request=request,
            organization=organization,
            invited_by=user,
            reasons=[reason.as_data() for reason in suggestion.reasons],
        )
        audit.record(invitation, user=user, operation="invite_to_help")
        by_secretariat = not Membership.objects.filter(
            user=user, organization=request.organization, role=MemberRole.EDITOR
        ).exists()
        notifications.help_invitation(request, suggestion, by_secretariat=by_secretariat)
    return invitation
