"""The daily run (`manage.py send_match_alerts`): closes opportunities past their end date, reminds
editors of those ending soon, and sends each organization a digest of new opportunities that fit
its own; and each user's choice of what they are told by e-mail."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from matchmaking.choices import NotificationKind, OpportunityStatus
from matchmaking.models import (
    AlertPreference,
    AlertSent,
    Match,
    Opportunity,
    Organization,
    ReminderSent,
)
from matchmaking.recommendations.recommend import recommend

from . import audit, notifications


def alert_preferences(user):
    """The user's alert preferences (unsaved defaults, everything on, if never changed)."""
    return AlertPreference.objects.filter(user=user).first() or AlertPreference(user=user)


def set_alert_preferences(user, *, email=None, suggestions=None, language=None):
    """Switches the user's e-mails and suggestion digests on or off, and sets the language they are
    written in (None leaves one as it is)."""
    with transaction.atomic():
        preference, _ = AlertPreference.objects.select_for_update().get_or_create(user=user)
        if email is not None:
            preference.email = email
        if suggestions is not None:
            preference.suggestions = suggestions
        if language is not None:
            preference.language = language
        preference.save()
    return preference


def close_expired_opportunities(today=None):
    """Closes the open opportunities whose end date has passed and tells their editors; returns how many."""
    today = today or timezone.localdate()
    closed = 0
    for pk in Opportunity.objects.filter(status=OpportunityStatus.OPEN, ends_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            opportunity = (
                Opportunity.objects.select_for_update().filter(pk=pk, status=OpportunityStatus.OPEN).first()
            )
            if opportunity is None or not (opportunity.ends_on and opportunity.ends_on < today):
                continue
            before = audit.snapshot(opportunity)
            opportunity.status = OpportunityStatus.CLOSED
            opportunity.save(update_fields=["status", "updated_at"])
            audit.record(opportunity, operation="close_expired_opportunities", before=before)
            notifications.opportunity_closed(opportunity)
            closed += 1
    return closed


def remind_expiring_opportunities(today=None):
    """Reminds the editors of open opportunities that end within EXPIRY_REMINDER_DAYS, once per end date
    (a renewed opportunity is reminded again before its new end); returns how many opportunities were
    reminded about."""
    today = today or timezone.localdate()
    kind = NotificationKind.OPPORTUNITY_EXPIRING
    horizon = today + datetime.timedelta(days=settings.EXPIRY_REMINDER_DAYS)
    reminded = ReminderSent.objects.filter(kind=kind, opportunity=OuterRef("pk"), ends_on=OuterRef("ends_on"))
    due = (
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, ends_on__gte=today, ends_on__lte=horizon)
        .exclude(Exists(reminded))
        .order_by("ends_on", "pk")
    )
    count = 0
    for opportunity in due:
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    kind=kind, opportunity=opportunity, ends_on=opportunity.ends_on, sent_on=today
                )
                sent = notifications.opportunity_expiring(opportunity, (opportunity.ends_on - today).days)
        except IntegrityError:  # a run at the same moment sent it
            continue
        count += bool(sent)
    return count


ALERT_CANDIDATES = 100  # how far down each new opportunity's recommendations to look


def find_suggestions(today=None):
    """organization id -> {new opportunity id: (the organization's opportunity, new opportunity, score)}: the live
    opportunities published within MATCH_ALERT_WINDOW_DAYS, for each open opportunity of another organization
    published before them that they score at least MATCH_ALERT_THRESHOLD for, and that they have no
    match with yet. (The new opportunity is the query: the blend is symmetric but for small details.)"""
    today = today or timezone.localdate()
    first_day = today - datetime.timedelta(days=settings.MATCH_ALERT_WINDOW_DAYS)
    since = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
    new_opportunities = list(
        Opportunity.objects.live(today)
        .filter(published_at__gte=since)
        .select_related("organization")
        .order_by("published_at", "pk")
    )
    found = defaultdict(dict)
    for new in new_opportunities:
        for result in recommend(new, limit=ALERT_CANDIDATES, today=today):
            if result["score"] < settings.MATCH_ALERT_THRESHOLD:
                break  # best first
            theirs = result["opportunity"]
            if theirs.published_at is None or theirs.published_at >= new.published_at:
                continue  # they saw the new opportunity among their own recommendations
            best = found[theirs.organization_id].get(new.pk)
            if best is None or result["score"] > best[2]:
                found[theirs.organization_id][new.pk] = (theirs, new, result["score"])
    new_ids = [opportunity.pk for opportunity in new_opportunities]
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
    """Sends each organization one digest a day of the new opportunities that fit its open opportunities
    (see `find_suggestions`), to its editors who did not switch suggestions off, never suggesting
    the same opportunity to it twice. Returns how many digests were sent."""
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
