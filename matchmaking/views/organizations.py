"""Pages of an organization for its members: its opportunities, matches, notifications and members;
registering an organization and asking to join one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking.choices import MatchStatus, MemberRole
from matchmaking.forms.organizations import JoinForm, MemberForm, OrganizationForm, RoleForm
from matchmaking.models import JoinRequest, Match, Organization
from matchmaking.services import memberships, notifications, organizations
from matchmaking.services.errors import Conflict, ServiceError

from .common import confirmation, confirmed, redirect_back, safe_next

MATCH_ONGOING = (MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS)


@login_required
def my_organization(request):
    mine = list(Organization.objects.of_member(request.user).select_related("country"))
    if len(mine) == 1:
        return redirect("web:organization", pk=mine[0].pk)
    return organization_list(request, mine)


def organization_list(request, mine, join_form=None):
    """The user's organizations and requests to join; a refused `join_form` again with its errors."""
    pending = JoinRequest.objects.filter(user=request.user).select_related("organization")
    context = {"organizations": mine, "join_requests": pending, "join_form": join_form or JoinForm()}
    return render(request, "matchmaking/organization_list.html", context)


def member_organization(request, pk):
    """The organization, if the user is one of its members or staff."""
    organization = get_object_or_404(Organization.objects.select_related("country"), pk=pk)
    if not organization.has_member(request.user):
        raise PermissionDenied
    return organization


@login_required
def organization_detail(request, pk, member_form=None):
    """The organization's page for its members; a refused `member_form` again with its errors."""
    organization = member_organization(request, pk)
    matches = list(
        Match.objects.filter(Q(request__organization=organization) | Q(offer__organization=organization))
        .with_sides()
        .with_unread_messages(request.user)
        .order_by("-updated_at", "-id")
    )
    proposed = [m for m in matches if m.status == MatchStatus.PROPOSED]
    memberships_list = list(organization.memberships.select_related("user").order_by("user__username"))
    context = {
        "organization": organization,
        "can_edit": organization.has_editor(request.user),
        "postings": organization.opportunities.select_related("cooperation_type").order_by("-created_at"),
        "awaiting_answer": [m for m in proposed if m.initiated_by_id != organization.pk],
        "awaiting_partner": [m for m in proposed if m.initiated_by_id == organization.pk],
        "to_start": [m for m in matches if m.status == MatchStatus.ACCEPTED],
        "to_complete": [m for m in matches if m.status == MatchStatus.IN_PROGRESS],
        "past": [m for m in matches if m.status not in (MatchStatus.PROPOSED, *MATCH_ONGOING)][:20],
        "notifications": request.user.notifications.select_related("match")[:15],
        "unread": request.user.notifications.filter(read_at=None).count(),
        "memberships": memberships_list,
        # The last editor is not offered "remove": an organization keeps one.
        "editor_count": sum(1 for membership in memberships_list if membership.role == MemberRole.EDITOR),
        "join_requests": organization.join_requests.select_related("user"),
        "member_form": member_form or MemberForm(),
        "roles": MemberRole.choices,
    }
    return render(request, "matchmaking/organization.html", context)


def editor_organization(request, pk):
    organization = get_object_or_404(Organization, pk=pk)
    if not organization.has_editor(request.user):
        raise PermissionDenied
    return organization


@require_POST
@login_required
def member_add(request, pk):
    organization = editor_organization(request, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        member = form.cleaned_data["user"]
        try:
            memberships.add_member(
                organization, user=request.user, member=member, role=form.cleaned_data["role"]
            )
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("%(user)s is now a member.") % {"user": member.get_username()})
            return redirect("web:organization", pk=organization.pk)
    return organization_detail(request, pk, member_form=form)


@require_POST
@login_required
def member_role(request, pk, user_id):
    organization = editor_organization(request, pk)
    membership = get_object_or_404(organization.memberships, user_id=user_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            memberships.change_role(membership, user=request.user, role=form.cleaned_data["role"])
        except ServiceError:
            messages.error(request, _("An organization keeps at least one editor."))
        else:
            messages.success(request, _("Role changed."))
    return redirect("web:organization", pk=organization.pk)


@require_POST
@login_required
def member_remove(request, pk, user_id):
    organization = editor_organization(request, pk)
    membership = get_object_or_404(organization.memberships.select_related("user"), user_id=user_id)
    if not confirmed(request):
        names = {"user": membership.user.get_username(), "organization": organization.name}
        if membership.user_id == request.user.pk:
            question = _("Remove yourself from %(organization)s?") % names
            consequence = _("You will no longer see its matches, nor act for it.")
        else:
            question = _("Remove %(user)s from %(organization)s?") % names
            consequence = _("%(user)s will no longer see its matches, nor act for it.") % names
        back = reverse("web:organization", args=[organization.pk])
        return confirmation(
            request, question=question, consequence=consequence, yes=_("Yes, remove"), back=back
        )
    try:
        memberships.remove_member(membership, user=request.user)
    except Conflict:
        messages.error(request, _("An organization keeps at least one editor."))
    else:
        messages.success(request, _("Member removed."))
    return redirect("web:organization", pk=organization.pk)


@require_POST
@login_required
def join_answer(request, pk, join_id):
    organization = editor_organization(request, pk)
    join = get_object_or_404(organization.join_requests.select_related("user"), pk=join_id)
    if request.POST.get("answer") != "accept" and not confirmed(request):
        return confirmation(
            request,
            question=_("Decline the request of %(user)s to join %(organization)s?")
            % {"user": join.user.get_username(), "organization": organization.name},
            consequence=_("The request is deleted; they may ask again."),
            yes=_("Yes, decline"),
            back=safe_next(request) or reverse("web:organization", args=[organization.pk]),
            keep=["answer", "next"],
        )
    if request.POST.get("answer") == "accept":
        form = RoleForm(request.POST)
        role = form.cleaned_data["role"] if form.is_valid() else MemberRole.VIEWER
        memberships.accept_join_request(join, user=request.user, role=role)
        messages.success(request, _("%(user)s is now a member.") % {"user": join.user.get_username()})
    else:
        memberships.decline_join_request(join, user=request.user)
        messages.success(request, _("Request declined."))
    return redirect_back(request, "web:organization", pk=organization.pk)


@require_POST
@login_required
def notifications_read(request):
    notifications.mark_all_read(request.user)
    return redirect_back(request, "web:my_organization")


@login_required
def organization_create(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = organizations.create_organization(user=request.user, data=form.cleaned_data)
        messages.success(request, registered_message())
        return redirect("web:organization", pk=organization.pk)
    return render(request, "matchmaking/organization_form.html", {"form": form})


def registered_message():
    return _(
        "Organization registered. You can post now; your postings are shown to others once the "
        "secretariat has verified the organization."
    )


@require_POST
@login_required
def join(request):
    form = JoinForm(request.POST)
    if not form.is_valid():
        mine = list(Organization.objects.of_member(request.user).select_related("country"))
        return organization_list(request, mine, join_form=form)
    ask_to_join(request, form.cleaned_data["organization"], form.cleaned_data["message"])
    return redirect("web:my_organization")


def ask_to_join(request, organization, message=""):
    try:
        memberships.request_to_join(organization, user=request.user, message=message)
    except Conflict:
        messages.info(request, _("You are already a member of this organization, or have asked to join it."))
    else:
        messages.success(request, _("Your request has been sent to the organization's editors."))
