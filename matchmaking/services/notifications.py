"""Tells people what happened: one in-app Notification per recipient, and the same text by e-mail,
sent once the transaction commits, to those who did not switch e-mails off.

The services decide who is told; this module writes and delivers the messages, and marks them read.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import MemberRole, NotificationKind
from matchmaking.models import AlertPreference, Notification

logger = logging.getLogger(__name__)


def editors_of(organization_ids, *, exclude=None):
    """The active editors of these organizations, without `exclude` (the user who acted)."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization__in=list(organization_ids),
            memberships__role=MemberRole.EDITOR,
        )
        .distinct()
        .order_by("id")
    )
    if exclude is not None and exclude.is_authenticated:
        users = users.exclude(pk=exclude.pk)
    return list(users)


def preferences_of(users):
    """user id -> AlertPreference (an unsaved default one for users without a row)."""
    stored = AlertPreference.objects.in_bulk([user.pk for user in users])
    return {user.pk: stored.get(user.pk) or AlertPreference(user=user) for user in users}


def notify(users, *, kind, subject, body, match=None, opportunity=None):
    """Writes the in-app notifications and queues the e-mails; returns the notifications."""
    users = list(users)
    if not users:
        return []
    notifications = Notification.objects.bulk_create(
        [
            Notification(user=user, kind=kind, message=body, match=match, opportunity=opportunity)
            for user in users
        ]
    )
    preferences = preferences_of(users)
    messages = [
        EmailMessage(subject=subject, body=body, to=[user.email])
        for user in users
        if user.email and preferences[user.pk].email
    ]
    if messages:
        transaction.on_commit(lambda: send(messages))
    return notifications


def send(messages):
    """Sends the e-mails; a mail server that fails is logged, never turned into a failed request."""
    try:
        get_connection().send_messages(messages)
    except Exception:  # noqa: BLE001 - the in-app notifications already carry the news
        logger.exception("Could not send %d e-mail(s)", len(messages))


def link(url_name, pk):
    return settings.SITE_URL + reverse(url_name, args=[pk])


# --------------------------------------------------------------------------- matches

MATCH_SUBJECTS = {
    NotificationKind.INTEREST_EXPRESSED: "{initiator} is interested in your {direction} “{title}”",
    NotificationKind.INTEREST_ACCEPTED: "{responder} accepted your interest in “{title}”",
    NotificationKind.INTEREST_DECLINED: "{responder} declined your interest in “{title}”",
    NotificationKind.INTEREST_WITHDRAWN: "{initiator} withdrew its interest in “{title}”",
    NotificationKind.MATCH_COMPLETED: "Cooperation completed: “{request}” and “{offer}”",
    NotificationKind.MATCH_CANCELLED: "Cooperation cancelled: “{request}” and “{offer}”",
}


def match_event(match, kind, *, organization_ids, actor, note=""):
    """Tells the editors of `organization_ids` (but not the actor) about a step of a match."""
    request, offer = match.request, match.offer
    initiator = match.initiated_by
    responder = offer.organization if initiator.pk == request.organization_id else request.organization
    # the opportunity the step is about: the one that interest was expressed in
    about = offer if initiator.pk == request.organization_id else request
    values = {
        "initiator": initiator.name,
        "responder": responder.name,
        "title": about.title,
        "direction": about.get_direction_display().lower(),
        "request": request.title,
        "offer": offer.title,
    }
    subject = MATCH_SUBJECTS[kind].format(**values)
    lines = [
        subject + ".",
        "",
        f"Request: {request.title} ({request.organization.name})",
        f"Offer: {offer.title} ({offer.organization.name})",
        f"Status: {match.get_status_display()}",
    ]
    if note:
        lines += ["", f"Message from {actor.get_username() if actor else 'the other side'}:", note]
    lines += ["", f"See the match: {link('web:match', match.pk)}"]
    return notify(
        editors_of(organization_ids, exclude=actor),
        kind=kind,
        subject=subject,
        body="\n".join(lines),
        match=match,
    )


# --------------------------------------------------------------------------- opportunities


def opportunity_expiring(opportunity, days_left):
    subject = (
        f"Your {opportunity.get_direction_display().lower()} “{opportunity.title}” ends in {days_left} days"
    )
    body = "\n".join(
        [
            subject + f" (on {opportunity.ends_on.isoformat()}).",
            "It will then be closed and no longer recommended. Change its end date to keep it open.",
            "",
            f"See the posting: {link('web:opportunity', opportunity.pk)}",
        ]
    )
    return notify(
        editors_of([opportunity.organization_id]),
        kind=NotificationKind.OPPORTUNITY_EXPIRING,
        subject=subject,
        body=body,
        opportunity=opportunity,
    )


def opportunity_closed(opportunity):
    subject = f"Your {opportunity.get_direction_display().lower()} “{opportunity.title}” ended and was closed"
    body = "\n".join(
        [
            subject + f" (it ended on {opportunity.ends_on.isoformat()}).",
            "It stays visible but is no longer recommended.",
            "",
            f"See the posting: {link('web:opportunity', opportunity.pk)}",
        ]
    )
    return notify(
        editors_of([opportunity.organization_id]),
        kind=NotificationKind.OPPORTUNITY_CLOSED,
        subject=subject,
        body=body,
        opportunity=opportunity,
    )


def suggestions_digest(organization, suggestions, recipients):
    """One digest of new opportunities for an organization: `suggestions` are (its opportunity, the
    new opportunity, score) tuples."""
    by_theirs = defaultdict(list)
    for theirs, new, score in suggestions:
        by_theirs[theirs].append((new, score))
    count = len(suggestions)
    subject = f"{count} new posting{'s' if count != 1 else ''} that fit{'' if count != 1 else 's'} yours"
    lines = [f"New postings that fit those of {organization.name}:"]
    for theirs, rows in by_theirs.items():
        lines += ["", f"For your {theirs.get_direction_display().lower()} “{theirs.title}”:"]
        for new, score in sorted(rows, key=lambda row: -row[1]):
            lines.append(
                f"- {new.get_direction_display()} “{new.title}” by {new.organization.name}"
                f" (score {score:.2f}): {link('web:opportunity', new.pk)}"
            )
    lines += ["", "You can switch these suggestions off in your alert preferences."]
    return notify(
        recipients,
        kind=NotificationKind.SUGGESTIONS,
        subject=subject,
        body="\n".join(lines),
    )


# --------------------------------------------------------------------------- reading


def mark_read(notification):
    """Marks one notification read (once: a second call keeps the first time)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user):
    """Marks every unread notification of the user read; returns how many."""
    return user.notifications.filter(read_at=None).update(read_at=timezone.now())
