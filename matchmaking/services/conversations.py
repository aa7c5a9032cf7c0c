"""The conversation of a match. From the expression of interest until the match ends, the members of
its two organizations (editors and viewers) write to each other; staff read every conversation and may
hide a message (kept, audited, shown as hidden), but do not write as a side.

Each message is told to the other side's members in the app; by e-mail only once per match until the
recipient reads the conversation again, so that a burst of messages sends one e-mail. What each user has
read is kept per match (`MessageReadMarker`); opening the conversation marks it read.

Messages of one match are written one at a time (the match's row is locked), so their ids grow in the
order they are committed: "read up to message N" never skips a message committed later.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matchmaking.choices import CONVERSATION_STATUSES, Direction, NotificationKind
from matchmaking.models import Match, MatchMessage, Membership, MessageReadMarker, Notification
from matchmaking.models.conversations import MESSAGE_MAX_LENGTH

from . import audit, notifications
from .errors import Conflict, NotAllowed, ServiceError

HIDDEN_REASON_MAX_LENGTH = MatchMessage._meta.get_field("hidden_reason").max_length


def member_organization_ids(user):
    """The ids of the organizations the user is a member of, in any role (one query)."""
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))


def writer_sides(match, user, member_of=None):
    """The sides of the match (`Direction` values) the user may write for: those whose organization they
    are a member of. Staff write for a side only as its members."""
    member_of = member_organization_ids(user) if member_of is None else member_of
    return [
        side
        for side, posting in ((Direction.REQUEST, match.request), (Direction.OFFER, match.offer))
        if posting.organization_id in member_of
    ]


def is_open(match):
    """Whether the match's conversation still takes messages: until the match ends."""
    return match.status in CONVERSATION_STATUSES


def can_write(match, user, member_of=None):
    return is_open(match) and bool(writer_sides(match, user, member_of))


def check_body(body):
    """The message's text without surrounding blanks; refused when empty or too long."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(_("Write a message."), field="body", code="blank")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ServiceError(
            _("A message has at most %(max)d characters (this one has %(length)d).")
            % {"max": MESSAGE_MAX_LENGTH, "length": len(body)},
            field="body",
            code="max_length",
        )
    return body


def _side(match, user, side):
    """The side the user writes for, checked against the organizations they are a member of."""
    sides = writer_sides(match, user)
    if not sides:
        if user.is_authenticated and user.is_staff:
            raise NotAllowed(
                _(
                    "Staff read the conversation to moderate it; only the two organizations' members write in it."
                ),
                code="not_a_side",
            )
        raise NotAllowed(
            _("Only the members of the two organizations may write in this conversation."), code="not_a_side"
        )
    if side:
        if side not in sides:
            raise ServiceError(
                _("You are not a member of the organization of that side."), field="side", code="invalid"
            )
        return side
    if len(sides) > 1:
        raise ServiceError(
            _("Say for which of the two organizations you write."), field="side", code="required"
        )
    return sides[0]


CLOSED = gettext_lazy("This match is “%(status)s”: its conversation is closed.")


def post_message(match, *, user, body, side=None):
    """Writes a message of the user's side in the match's conversation and tells the other side's
    members. A user who is a member of both organizations names the side (`Direction`)."""
    with transaction.atomic():
        match = Match.objects.select_for_update(of=("self",)).with_sides().get(pk=match.pk)
        side = _side(match, user, side)
        if not is_open(match):
            raise Conflict(CLOSED % {"status": match.get_status_display()}, code="conversation_closed")
        message = MatchMessage.objects.create(match=match, author=user, side=side, body=check_body(body))
        audit.record(message, user=user, operation="post_message")
        tell_the_other_side(message)
    return message


def members_of(organization_id, *, exclude):
    """The active members of the organization, in any role, but `exclude` (the author)."""
    users = get_user_model().objects.filter(is_active=True, memberships__organization=organization_id)
    return list(users.exclude(pk=exclude.pk).distinct().order_by("id"))


def tell_the_other_side(message):
    """Tells the members of the other side's organization of a new message: all in the app, and by
    e-mail those who were not e-mailed about this conversation since they last read it."""
    match = message.match
    if message.side == Direction.REQUEST:
        mine, theirs = match.request, match.offer
    else:
        mine, theirs = match.offer, match.request
    recipients = members_of(theirs.organization_id, exclude=message.author)
    if not recipients:
        return []
    emailed = set(
        MessageReadMarker.objects.filter(match=match, user__in=recipients, emailed=True).values_list(
            "user_id", flat=True
        )
    )
    email_to = {user.pk for user in recipients} - emailed
    MessageReadMarker.objects.bulk_create(
        [MessageReadMarker(match=match, user_id=pk, emailed=True) for pk in sorted(email_to)],
        update_conflicts=True,
        unique_fields=["match", "user"],
        update_fields=["emailed"],
    )
    author = message.author.get_username()

    def compose():
        values = {
            "organization": mine.organization.name,
            "author": author,
            "direction": theirs.get_direction_display().lower(),
            "title": theirs.title,
        }
        subject = _("New message from %(organization)s about your %(direction)s “%(title)s”") % values
        lines = [
            _("%(author)s (%(organization)s) wrote:") % values,
            "",
            message.body,
            "",
            _("Read and answer it on the match: %(url)s")
            % {"url": notifications.link("web:match", match.pk) + "#conversation"},
        ]
        return subject, "\n".join(lines)

    return notifications.notify(
        recipients, kind=NotificationKind.MATCH_MESSAGE, compose=compose, match=match, email_to=email_to
    )


def mark_read(match, *, user, up_to=None):
    """Marks the conversation read by the user up to the message with id `up_to` (default: the latest);
    a marker never moves back. Once the user has read the latest message, the in-app notifications of
    the conversation are marked read and the next message is e-mailed again. Returns the id of the last
    message read before (None if none), to tell what is new."""
    if not user.is_authenticated:
        return None
    latest = match.messages.aggregate(latest=Max("pk"))["latest"]
    if latest is None:
        return None
    up_to = latest if up_to is None else min(up_to, latest)
    with transaction.atomic():
        marker, _created = MessageReadMarker.objects.select_for_update().get_or_create(match=match, user=user)
        previous = marker.last_read_id
        read_all = up_to == latest
        changed = []
        if (previous or 0) < up_to:
            marker.last_read_id, marker.read_at = up_to, timezone.now()
            changed += ["last_read", "read_at"]
        if read_all and marker.emailed:
            marker.emailed = False
            changed.append("emailed")
        if changed:
            marker.save(update_fields=changed)
        if read_all:
            Notification.objects.filter(
                user=user, match=match, kind=NotificationKind.MATCH_MESSAGE, read_at=None
            ).update(read_at=timezone.now())
    return previous


def is_read(message, user, last_read_id):
    """Whether the user had read the message, given the id of the last one they had read."""
    return message.author_id == user.pk or message.pk <= (last_read_id or 0)


def hide_message(message, *, user, reason):
    """Staff hide a message with a reason the two sides read; it is kept (staff still read it) and the
    change is audited."""
    if not (user.is_authenticated and user.is_staff):
        raise NotAllowed(_("Only staff moderate."), code="staff_only")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Say why the message is hidden: the two sides will read it."), field="reason", code="required"
        )
    if len(reason) > HIDDEN_REASON_MAX_LENGTH:
        raise ServiceError(
            _("The reason has at most %(max)d characters.") % {"max": HIDDEN_REASON_MAX_LENGTH},
            field="reason",
            code="max_length",
        )
    with transaction.atomic():
        message = MatchMessage.objects.select_for_update().get(pk=message.pk)
        if message.is_hidden:
            raise Conflict(_("This message is already hidden."), code="already_hidden")
        before = audit.snapshot(message)
        message.hidden_at, message.hidden_by, message.hidden_reason = timezone.now(), user, reason
        message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        audit.record(message, user=user, operation="hide_message", before=before)
    return message
