"""Registering an organization (its first editor is who registers it) and changing it. Whether it is
verified changes only through `moderation`."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import MemberRole
from matchmaking.models import Membership, Organization

from . import audit, moderation
from .errors import NotAllowed, ServiceError

FIELDS = ("name", "kind", "country", "website")
STAFF_VERIFY = _("Only staff may change whether an organization is verified.")


def _check_verified_by_staff(user, verified, current):
    if verified is not None and verified != current and not user.is_staff:
        raise ServiceError(STAFF_VERIFY, field="verified", code="staff_only")


def create_organization(*, user, data):
    """Registers an organization with `user` as its first editor; `data` holds FIELDS (and
    `verified`, which only staff may set)."""
    data = dict(data)
    verified = data.pop("verified", False)
    _check_verified_by_staff(user, verified, False)
    with transaction.atomic():
        organization = Organization.objects.create(**data)
        membership = Membership.objects.create(user=user, organization=organization, role=MemberRole.EDITOR)
        audit.record(organization, user=user, operation="create_organization")
        audit.record(membership, user=user, operation="create_organization")
        if verified:
            organization = moderation.verify_organization(organization, user=user)
    return organization


def import_organization(*, key, data):
    """The organization that an import's organizations file names `key`: the one imported under that
    key before; else one of the same name and country with no key yet (registered here, or imported
    before keys were kept), which takes the key; else a new one, with no member and not verified
    (staff verify it as any other). One found is not changed otherwise. `data` holds name, kind and
    country."""
    with transaction.atomic():
        organization = Organization.objects.filter(import_key=key).first()
        if organization is not None:
            return organization
        organization = (
            Organization.objects.select_for_update()
            .filter(import_key=None, name=data["name"], country=data["country"])
            .order_by("pk")
            .first()
        )
        if organization is None:
            organization = Organization.objects.create(import_key=key, **data)
            audit.record(organization, operation="import_organization")
            return organization
        before = audit.snapshot(organization)
        organization.import_key = key
        organization.save(update_fields=["import_key"])
        audit.record(organization, operation="import_organization", before=before)
    return organization


# What staff checked when they verified an organization: changed by its editors, it is no longer verified
# (its new postings wait for approval) until staff verify it again.
IDENTITY_FIELDS = ("name", "kind", "country_id")


def update_organization(organization, *, user, data):
    """Changes an organization (its editors, or staff); a change of `verified` goes through
    moderation, so that verifying approves the opportunities that waited for it. Editors who change
    the name, kind or country of a verified organization take its verification away, and its
    designation as a Party's focal point."""
    data = dict(data)
    verified = data.pop("verified", None)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if not organization.has_editor(user):
            raise NotAllowed(
                _("Only the organization's editors and staff may change this."), code="not_an_editor"
            )
        _check_verified_by_staff(user, verified, organization.verified)
        before = audit.snapshot(organization)
        identity = [getattr(organization, name) for name in IDENTITY_FIELDS]
        for name, value in data.items():
            setattr(organization, name, value)
        if not user.is_staff and identity != [getattr(organization, name) for name in IDENTITY_FIELDS]:
            if organization.verified:
                organization.verified = False
                verified = None  # the flag an editor sends back unchanged does not keep it
            organization.focal_point_of = organization.focal_point_since = None
            organization.focal_point_granted_by = None
        organization.save()
        audit.record(organization, user=user, operation="update_organization", before=before)
        if verified is not None and verified != organization.verified:
            change = moderation.verify_organization if verified else moderation.unverify_organization
            organization = change(organization, user=user)
    return organization


def delete_organization(organization, *, user):
    """Staff delete an organization that never posted (one that did keeps its history)."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if not user.is_staff:
            raise NotAllowed(_("Only staff may delete an organization."), code="staff_only")
        if organization.opportunities.exists():
            raise ServiceError(_("An organization that has posted cannot be deleted."), code="has_postings")
        audit.record_deletion(organization, user=user, operation="delete_organization")
        organization.delete()
