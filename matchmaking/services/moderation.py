"""Staff moderation: opportunities of unverified organizations wait for approval; staff approve or
hide them (with a reason their editors read), verify organizations, and designate a Party's official
national focal point."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import Moderation
from matchmaking.models import Opportunity, Organization

from . import audit
from .errors import NotAllowed, ServiceError


def _check_staff(user):
    if not (user is not None and user.is_authenticated and user.is_staff):
        raise NotAllowed(_("Only staff moderate."), code="staff_only")


def _moderate(opportunity, *, user, operation, moderation, reason=""):
    _check_staff(user)
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        before = audit.snapshot(opportunity)
        opportunity.moderation = moderation
        opportunity.moderation_reason = reason
        opportunity.save(update_fields=["moderation", "moderation_reason", "updated_at"])
        audit.record(opportunity, user=user, operation=operation, before=before)
    return opportunity


def approve_opportunity(opportunity, *, user):
    """Staff approve an opportunity that waits for approval, or show again one they had hidden."""
    return _moderate(opportunity, user=user, operation="approve_opportunity", moderation=Moderation.APPROVED)


def hide_opportunity(opportunity, *, user, reason):
    """Staff hide an opportunity from everyone but its organization, with a reason its editors see."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Say why the posting is hidden: its editors will read it."), field="reason", code="required"
        )
    return _moderate(
        opportunity, user=user, operation="hide_opportunity", moderation=Moderation.HIDDEN, reason=reason
    )


def verify_organization(organization, *, user):
    """Staff verify an organization; its opportunities that waited for approval are approved with it."""
    _check_staff(user)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if not organization.verified:
            before = audit.snapshot(organization)
            organization.verified = True
            organization.save(update_fields=["verified", "updated_at"])
            audit.record(organization, user=user, operation="verify_organization", before=before)
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


def unverify_organization(organization, *, user):
    """Staff take verification back: the organization's new opportunities wait for approval again."""
    _check_staff(user)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.verified:
            before = audit.snapshot(organization)
            organization.verified = False
            organization.save(update_fields=["verified", "updated_at"])
            audit.record(organization, user=user, operation="unverify_organization", before=before)
    return organization


FOCAL_POINT_FIELDS = ["focal_point_of", "focal_point_since", "focal_point_granted_by", "updated_at"]


def designate_focal_point(organization, *, user, country, since=None):
    """Staff designate the organization as the official national focal point of a Party (`country`),
    from `since` (today by default). It is verified with it: the designation is what staff checked."""
    _check_staff(user)
    with transaction.atomic():
        organization = verify_organization(organization, user=user)
        before = audit.snapshot(organization)
        organization.focal_point_of = country
        organization.focal_point_since = since or timezone.localdate()
        organization.focal_point_granted_by = user
        organization.save(update_fields=FOCAL_POINT_FIELDS)
        audit.record(organization, user=user, operation="designate_focal_point", before=before)
    return organization


def withdraw_focal_point(organization, *, user):
    """Staff take the designation away (an editor who changes the organization's name, kind or
    country loses it too: see `organizations.update_organization`)."""
    _check_staff(user)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.focal_point_of_id is not None:
            before = audit.snapshot(organization)
            organization.focal_point_of = organization.focal_point_since = None
            organization.focal_point_granted_by = None
            organization.save(update_fields=FOCAL_POINT_FIELDS)
            audit.record(organization, user=user, operation="withdraw_focal_point", before=before)
    return organization
