"""Who may see the contact details that an opportunity hides: its organization's members, staff,
and the other side of a match that was accepted (or went further); and how the other side reaches
an organization once their match is accepted."""

from dataclasses import dataclass

from django.db.models import Q

from matchmaking.choices import CAPACITY_HOLDING_STATUSES, MemberRole
from matchmaking.models import Match, Membership


@dataclass
class ContactAccess:
    """Whose hidden contact details a user may see: staff all; members their organizations'; partners
    the opportunities on the other side of a match that was accepted (or went further)."""

    staff: bool = False
    organizations: frozenset = frozenset()
    user: object = None
    _partners: set | None = None

    def partner_opportunities(self):
        if self._partners is None:
            mine = Membership.objects.filter(user=self.user).values("organization_id")
            pairs = (
                Match.objects.filter(status__in=CAPACITY_HOLDING_STATUSES)
                .filter(Q(request__organization__in=mine) | Q(offer__organization__in=mine))
                .values_list("request_id", "offer_id")
            )
            self._partners = {pk for pair in pairs for pk in pair}
        return self._partners


def contact_access(user):
    """What `can_see_contact` needs to know about the user, read once (one query, two with partners)."""
    if not user.is_authenticated:
        return ContactAccess()
    if user.is_staff:
        return ContactAccess(staff=True)
    organizations = frozenset(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    return ContactAccess(organizations=organizations, user=user)


def can_see_contact(opportunity, user, access=None):
    """Whether the user may see the opportunity's contact details: anyone unless they are hidden; then
    its organization's members, staff, and the other side of a match that was accepted, is in progress
    or completed. Pass `access` (from `contact_access`) when asking about many opportunities."""
    if not opportunity.hide_contact:
        return True
    access = access or contact_access(user)
    if access.staff or opportunity.organization_id in access.organizations:
        return True
    return access.user is not None and opportunity.pk in access.partner_opportunities()


@dataclass
class Reach:
    """How to reach the organization behind an opportunity: the contact the opportunity names and
    the e-mail addresses to write to, which are its organization's editors' when it gives none."""

    name: str
    emails: list
    from_editors: bool


def ways_to_reach(opportunity):
    """How the other side of an accepted match reaches the organization of `opportunity`: its contact
    details, else the e-mail addresses of its organization's editors (their accounts'), so that a
    match never ends without a way to write. Show it only to whom `can_see_contact` allows."""
    if opportunity.contact_email:
        return Reach(opportunity.contact_name, [opportunity.contact_email], from_editors=False)
    editors = (
        Membership.objects.filter(
            organization_id=opportunity.organization_id, role=MemberRole.EDITOR, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__username")
        .values_list("user__email", flat=True)
    )
    return Reach(opportunity.contact_name, list(editors), from_editors=True)
