"""The daily run's follow-ups of matches (`manage.py send_match_alerts`): the side that must answer a
proposal is reminded after PROPOSAL_REMINDER_DAYS, and the proposal expires after
PROPOSAL_EXPIRY_DAYS without an answer; an accepted match not started after START_REMINDER_DAYS is
reminded to both sides. Each reminder is sent once (`ReminderSent`), so a second run the same day,
or at the same moment, sends nothing new."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from matchmaking.choices import MatchStatus, NotificationKind
from matchmaking.models import Match, ReminderSent

from . import matches, notifications


def start_of(day):
    """The first moment of `day`, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def cutoff(days, today):
    """Moments before this one fall `days` or more days before `today` (by the calendar)."""
    return start_of(today - datetime.timedelta(days=days - 1))


def expire_proposals(today=None):
    """Expires the proposals made PROPOSAL_EXPIRY_DAYS or more days ago that nobody answered: a
    proposal made on day D expires on day D + PROPOSAL_EXPIRY_DAYS, not earlier. Returns how many."""
    today = today or timezone.localdate()
    days = settings.PROPOSAL_EXPIRY_DAYS
    due = (
        Match.objects.filter(status=MatchStatus.PROPOSED, created_at__lt=cutoff(days, today))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    return sum(matches.expire_proposal(pk, days=days) is not None for pk in list(due))


def _remind(match, kind, today, send):
    """Records the reminder and sends it, in one transaction; False if it was sent before."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(kind=kind, match=match, sent_on=today)
            send()
    except IntegrityError:  # a run at the same moment sent it
        return False
    return True


def _not_reminded(queryset, kind):
    return queryset.exclude(pk__in=ReminderSent.objects.filter(kind=kind).values("match_id"))


def remind_proposals(today=None):
    """Reminds the side that must answer each proposal made PROPOSAL_REMINDER_DAYS or more days ago
    and still waiting, once per proposal. Returns how many proposals were reminded about."""
    today = today or timezone.localdate()
    kind = NotificationKind.PROPOSAL_REMINDER
    due = _not_reminded(
        Match.objects.filter(
            status=MatchStatus.PROPOSED,
            created_at__lt=cutoff(settings.PROPOSAL_REMINDER_DAYS, today),
        ),
        kind,
    )
    count = 0
    for match in due.with_sides().order_by("created_at", "pk"):
        made_on = timezone.localdate(match.created_at)
        expires_on = made_on + datetime.timedelta(days=settings.PROPOSAL_EXPIRY_DAYS)
        days = (today - made_on).days
        count += _remind(
            match,
            kind,
            today,
            lambda match=match, days=days, expires_on=expires_on: notifications.proposal_reminder(
                match, days=days, expires_on=expires_on
            ),
        )
    return count


def remind_unstarted(today=None):
    """Reminds both sides of each match accepted START_REMINDER_DAYS or more days ago and not started,
    once per match. Returns how many matches were reminded about."""
    today = today or timezone.localdate()
    kind = NotificationKind.START_REMINDER
    due = _not_reminded(
        Match.objects.filter(status=MatchStatus.ACCEPTED)
        .annotate(accepted_at=Max("events__created_at", filter=Q(events__to_status=MatchStatus.ACCEPTED)))
        .filter(accepted_at__lt=cutoff(settings.START_REMINDER_DAYS, today)),
        kind,
    )
    count = 0
    for match in due.with_sides().order_by("accepted_at", "pk"):
        days = (today - timezone.localdate(match.accepted_at)).days
        count += _remind(
            match,
            kind,
            today,
            lambda match=match, days=days: notifications.start_reminder(match, days=days),
        )
    return count
