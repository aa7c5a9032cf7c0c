"""Tells people what happened: one in-app Notification per recipient, and the same text by e-mail,
sent once the transaction commits, to those who did not switch e-mails off; each in the recipient's
language (their alert preference, set by the language they choose on the pages).

The services decide who is told; this module writes and delivers the messages, and marks them read.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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


def notify(users, *, kind, compose, match=None, opportunity=None, email_to=None):
    """Writes the in-app notifications and queues the e-mails; returns the notifications.
    `compose()` returns (subject, body); it is called once per language of the recipients, with that
    language active. `email_to`, if given, holds the ids of the users who may be e-mailed (the others
    are told in the app only)."""
    users = list(users)
    if not users:
        return []
    preferences = preferences_of(users)
    texts = {}
    for language in {preferences[user.pk].language_code for user in users}:
        with translation.override(language):
            texts[language] = compose()
    notifications, messages = [], []
    for user in users:
        preference = preferences[user.pk]
        subject, body = texts[preference.language_code]
        notifications.append(
            Notification(user=user, kind=kind, message=body, match=match, opportunity=opportunity)
        )
        if user.email and preference.email and (email_to is None or user.pk in email_to):
            messages.append(EmailMessage(subject=subject, body=body, to=[user.email]))
    notifications = Notification.objects.bulk_create(notifications)
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
    NotificationKind.INTEREST_EXPRESSED: gettext_lazy(
        "%(initiator)s is interested in your %(direction)s “%(title)s”"
    ),
    NotificationKind.INTEREST_ACCEPTED: gettext_lazy("%(responder)s accepted your interest in “%(title)s”"),
    NotificationKind.INTEREST_DECLINED: gettext_lazy("%(responder)s declined your interest in “%(title)s”"),
    NotificationKind.INTEREST_WITHDRAWN: gettext_lazy("%(initiator)s withdrew its interest in “%(title)s”"),
    NotificationKind.MATCH_COMPLETED: gettext_lazy("Cooperation completed: “%(request)s” and “%(offer)s”"),
    NotificationKind.MATCH_CANCELLED: gettext_lazy("Cooperation cancelled: “%(request)s” and “%(offer)s”"),
}


def _sides(match):
    """(the organization that expressed interest, the one that answers it, the opportunity that
    interest was expressed in)."""
    request, offer, initiator = match.request, match.offer, match.initiated_by
    if initiator.pk == request.organization_id:
        return initiator, offer.organization, offer
    return initiator, request.organization, request


def _pair_lines(match):
    return [
        _("Request: %(title)s (%(organization)s)")
        % {"title": match.request.title, "organization": match.request.organization.name},
        _("Offer: %(title)s (%(organization)s)")
        % {"title": match.offer.title, "organization": match.offer.organization.name},
    ]


def match_event(match, kind, *, organization_ids, actor, note=""):
    """Tells the editors of `organization_ids` (but not the actor) about a step of a match."""
    request, offer = match.request, match.offer
    initiator, responder, about = _sides(match)

    def compose():
        values = {
            "initiator": initiator.name,
            "responder": responder.name,
            "title": about.title,
            "direction": about.get_direction_display().lower(),
            "request": request.title,
            "offer": offer.title,
        }
        subject = MATCH_SUBJECTS[kind] % values
        lines = [
            subject + ".",
            "",
            *_pair_lines(match),
            _("Status: %(status)s") % {"status": match.get_status_display()},
        ]
        if note:
            author = actor.get_username() if actor else _("the other side")
            lines += ["", _("Message from %(author)s:") % {"author": author}, note]
        lines += ["", _("See the match: %(url)s") % {"url": link("web:match", match.pk)}]
        return subject, "\n".join(lines)

    return notify(
        editors_of(organization_ids, exclude=actor),
        kind=kind,
        compose=compose,
        match=match,
    )


# --------------------------------------------------------------------------- follow-ups of matches


def proposal_reminder(match, *, days, expires_on):
    """Reminds the side that must answer a proposal, `days` after it was made; it expires on `expires_on`."""
    initiator, responder, about = _sides(match)

    def compose():
        values = {
            "initiator": initiator.name,
            "title": about.title,
            "days": days,
            "date": formats.date_format(expires_on, "DATE_FORMAT"),
        }
        subject = _("%(initiator)s is waiting for your answer about “%(title)s”") % values
        lines = [
            ngettext(
                "%(initiator)s expressed interest in “%(title)s” %(days)d day ago and has no answer yet.",
                "%(initiator)s expressed interest in “%(title)s” %(days)d days ago and has no answer yet.",
                days,
            )
            % values,
            _("Accept or decline it: without an answer, it expires on %(date)s.") % values,
            "",
            *_pair_lines(match),
            "",
            _("Answer it: %(url)s") % {"url": link("web:match", match.pk)},
        ]
        return subject, "\n".join(lines)

    return notify(
        editors_of([responder.pk]), kind=NotificationKind.PROPOSAL_REMINDER, compose=compose, match=match
    )


def proposal_expired(match, *, days):
    """Tells both sides that a proposal expired, unanswered after `days` days."""
    initiator, responder, about = _sides(match)

    def compose():
        values = {
            "initiator": initiator.name,
            "responder": responder.name,
            "title": about.title,
            "days": days,
        }
        subject = _("Interest in “%(title)s” expired without an answer") % values
        lines = [
            ngettext(
                "%(initiator)s expressed interest in “%(title)s”; %(responder)s did not answer it within "
                "%(days)d day, so it expired.",
                "%(initiator)s expressed interest in “%(title)s”; %(responder)s did not answer it within "
                "%(days)d days, so it expired.",
                days,
            )
            % values,
            _("Interest can be expressed again while both postings are open."),
            "",
            *_pair_lines(match),
            "",
            _("See the match: %(url)s") % {"url": link("web:match", match.pk)},
        ]
        return subject, "\n".join(lines)

    return notify(
        editors_of([initiator.pk, responder.pk]),
        kind=NotificationKind.PROPOSAL_EXPIRED,
        compose=compose,
        match=match,
    )


def start_reminder(match, *, days):
    """Reminds both sides of a match accepted `days` ago and not started."""

    def compose():
        values = {"request": match.request.title, "offer": match.offer.title, "days": days}
        subject = _("Not started yet: “%(request)s” and “%(offer)s”") % values
        lines = [
            ngettext(
                "This match was accepted %(days)d day ago and has not started.",
                "This match was accepted %(days)d days ago and has not started.",
                days,
            )
            % values,
            _("Start it when the cooperation begins, or cancel it if it will not take place."),
            "",
            *_pair_lines(match),
            "",
            _("See the match: %(url)s") % {"url": link("web:match", match.pk)},
        ]
        return subject, "\n".join(lines)

    return notify(
        editors_of([match.request.organization_id, match.offer.organization_id]),
        kind=NotificationKind.START_REMINDER,
        compose=compose,
        match=match,
    )


def proposal_filled(match, *, full, organization_ids, actor=None):
    """Tells the editors of `organization_ids` that a proposal was closed because `full`, one of its two
    opportunities, has no room left."""

    def compose():
        values = {
            "direction": full.get_direction_display().lower(),
            "title": full.title,
            "organization": full.organization.name,
        }
        subject = _("“%(title)s” has no room left: the proposal was closed") % values
        lines = [
            _(
                "The %(direction)s “%(title)s” of %(organization)s has accepted as many partners as it "
                "can take, so this proposal was closed without an answer."
            )
            % values,
            "",
            *_pair_lines(match),
            "",
            _("See the match: %(url)s") % {"url": link("web:match", match.pk)},
        ]
        return subject, "\n".join(lines)

    return notify(
        editors_of(organization_ids, exclude=actor),
        kind=NotificationKind.MATCH_FILLED,
        compose=compose,
        match=match,
    )


# --------------------------------------------------------------------------- opportunities


def opportunity_expiring(opportunity, days_left):
    def compose():
        values = {
            "direction": opportunity.get_direction_display().lower(),
            "title": opportunity.title,
            "days": days_left,
            "date": formats.date_format(opportunity.ends_on, "DATE_FORMAT"),
        }
        subject = (
            ngettext(
                "Your %(direction)s “%(title)s” ends in %(days)d day",
                "Your %(direction)s “%(title)s” ends in %(days)d days",
                days_left,
            )
            % values
        )
        body = "\n".join(
            [
                subject + " " + _("(on %(date)s).") % values,
                _("It will then be closed and no longer recommended. Renew it to keep it open."),
                "",
                _("Renew it: %(url)s") % {"url": link("web:opportunity_renew", opportunity.pk)},
                _("See the posting: %(url)s") % {"url": link("web:opportunity", opportunity.pk)},
            ]
        )
        return subject, body

    return notify(
        editors_of([opportunity.organization_id]),
        kind=NotificationKind.OPPORTUNITY_EXPIRING,
        compose=compose,
        opportunity=opportunity,
    )


def opportunity_closed(opportunity):
    def compose():
        values = {
            "direction": opportunity.get_direction_display().lower(),
            "title": opportunity.title,
            "date": formats.date_format(opportunity.ends_on, "DATE_FORMAT"),
        }
        subject = _("Your %(direction)s “%(title)s” ended and was closed") % values
        body = "\n".join(
            [
                subject + " " + _("(it ended on %(date)s).") % values,
                _("It stays visible but is no longer recommended. Renew it to open it again."),
                "",
                _("Renew it: %(url)s") % {"url": link("web:opportunity_renew", opportunity.pk)},
                _("See the posting: %(url)s") % {"url": link("web:opportunity", opportunity.pk)},
            ]
        )
        return subject, body

    return notify(
        editors_of([opportunity.organization_id]),
        kind=NotificationKind.OPPORTUNITY_CLOSED,
        compose=compose,
        opportunity=opportunity,
    )


def help_invitation(request, suggestion, *, by_secretariat):
    """Tells the editors of a suggested organization that they are invited to help with a request, and
    why they were suggested (`suggestion`: a who_could_help.Suggestion)."""

    def compose():
        values = {
            "inviter": _("The secretariat of the Clearing-House Mechanism")
            if by_secretariat
            else request.organization.name,
            "organization": request.organization.name,
            "country": request.organization.country.local_name,
            "title": request.title,
        }
        subject = _("%(inviter)s invites you to help with the request “%(title)s”") % values
        lines = [
            subject + ".",
            "",
            _("The request of %(organization)s (%(country)s) has had no proposal yet.") % values,
            _("Your organization was suggested because it:"),
            *("- " + reason.text for reason in suggestion.reasons),
            "",
            _("If you can help, express interest from one of your offers, or post an offer that answers it."),
            _("See the request: %(url)s") % {"url": link("web:opportunity", request.pk)},
        ]
        return subject, "\n".join(lines)

    return notify(
        editors_of([suggestion.organization.pk]),
        kind=NotificationKind.HELP_INVITED,
        compose=compose,
        opportunity=request,
    )


def suggestions_digest(organization, suggestions, recipients):
    """One digest of new opportunities for an organization: `suggestions` are (its opportunity, the
    new opportunity, score) tuples."""
    by_theirs = defaultdict(list)
    for theirs, new, score in suggestions:
        by_theirs[theirs].append((new, score))
    count = len(suggestions)

    def compose():
        subject = ngettext(
            "%(count)d new posting that fits yours", "%(count)d new postings that fit yours", count
        ) % {"count": count}
        lines = [_("New postings that fit those of %(organization)s:") % {"organization": organization.name}]
        for theirs, rows in by_theirs.items():
            lines += [
                "",
                _("For your %(direction)s “%(title)s”:")
                % {"direction": theirs.get_direction_display().lower(), "title": theirs.title},
            ]
            for new, score in sorted(rows, key=lambda row: -row[1]):
                lines.append(
                    "- "
                    + _("%(direction)s “%(title)s” by %(organization)s (score %(score)s): %(url)s")
                    % {
                        "direction": new.get_direction_display(),
                        "title": new.title,
                        "organization": new.organization.name,
                        "score": formats.number_format(score, 2),
                        "url": link("web:opportunity", new.pk),
                    }
                )
        lines += ["", _("You can switch these suggestions off in your alert preferences.")]
        return subject, "\n".join(lines)

    return notify(recipients, kind=NotificationKind.SUGGESTIONS, compose=compose)


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
