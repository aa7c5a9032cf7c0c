"""Members of an organization and their roles, and requests to join one. An organization keeps at
least one editor: every change locks the organization's row first, so that two editors demoting or
removing each other at the same moment cannot both pass that check."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import MemberRole
from matchmaking.models import JoinRequest, Membership, Organization

from . import audit
from .errors import Conflict, NotAllowed, ServiceError

LAST_EDITOR = _("An organization keeps at least one editor.")


def _lock_as_editor(organization, user, message):
    """Locks the organization's row; raises NotAllowed unless the user edits for it (or is staff)."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not organization.has_editor(user):
        raise NotAllowed(message, code="not_an_editor")
    return organization


def is_last_editor(membership):
    """Whether the membership is its organization's only editor."""
    others = membership.organization.memberships.filter(role=MemberRole.EDITOR).exclude(pk=membership.pk)
    return membership.role == MemberRole.EDITOR and not others.exists()


def add_member(organization, *, user, member, role):
    """One of the organization's editors (or staff) makes `member` a member in `role`; a request of
    theirs to join is then answered."""
    with transaction.atomic():
        organization = _lock_as_editor(
            organization, user, _("Only the organization's editors may add members.")
        )
        if organization.memberships.filter(user=member).exists():
            raise ServiceError(
                _("This user is already a member of the organization."),
                field="username",
                code="already_a_member",
            )
        membership = Membership.objects.create(user=member, organization=organization, role=role)
        JoinRequest.objects.filter(user=member, organization=organization).delete()
        audit.record(membership, user=user, operation="add_member")
    return membership


def change_role(membership, *, user, role):
    """An editor (or staff) changes a member's role; the last editor stays an editor."""
    with transaction.atomic():
        _lock_as_editor(membership.organization, user, _("Only the organization's editors may change roles."))
        membership = Membership.objects.select_related("organization").get(pk=membership.pk)
        if role != MemberRole.EDITOR and is_last_editor(membership):
            raise ServiceError(LAST_EDITOR, field="role", code="last_editor")
        before = audit.snapshot(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(membership, user=user, operation="change_role", before=before)
    return membership


def remove_member(membership, *, user):
    """An editor (or staff) removes a member; the last editor cannot be removed."""
    with transaction.atomic():
        _lock_as_editor(
            membership.organization, user, _("Only the organization's editors may remove members.")
        )
        membership = Membership.objects.select_related("organization").get(pk=membership.pk)
        if is_last_editor(membership):
            raise Conflict(LAST_EDITOR, code="last_editor")
        audit.record_deletion(membership, user=user, operation="remove_member")
        membership.delete()


def request_to_join(organization, *, user, message=""):
    """A user asks to join an organization; its editors accept or decline."""
    with transaction.atomic():
        if organization.memberships.filter(user=user).exists():
            raise Conflict(_("You are already a member of this organization."), code="already_a_member")
        join, created = JoinRequest.objects.get_or_create(
            user=user, organization=organization, defaults={"message": message}
        )
        if not created:
            raise Conflict(_("You have already asked to join this organization."), code="already_asked")
    return join


def accept_join_request(join, *, user, role=MemberRole.VIEWER):
    """One of the organization's editors (or staff) makes the user a member, in the role chosen."""
    with transaction.atomic():
        organization = _lock_as_editor(
            join.organization, user, _("Only the organization's editors, and staff, may accept new members.")
        )
        membership, created = Membership.objects.get_or_create(
            user=join.user, organization=organization, defaults={"role": role}
        )
        if created:
            audit.record(membership, user=user, operation="accept_join_request")
        join.delete()
    return membership


def decline_join_request(join, *, user):
    with transaction.atomic():
        _lock_as_editor(
            join.organization, user, _("Only the organization's editors, and staff, may decline new members.")
        )
        join.delete()
