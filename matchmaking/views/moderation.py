"""Staff moderation: opportunities waiting for approval, hidden opportunities, organizations to verify
(with who registered them), requests to join, and the Parties' official national focal points."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking.choices import MemberRole, Moderation
from matchmaking.forms.matches import HideForm
from matchmaking.forms.organizations import FocalPointForm
from matchmaking.models import JoinRequest, Membership, Opportunity, Organization
from matchmaking.services import moderation as moderating

from .common import confirmation, confirmed, redirect_back
from .opportunities import opportunity_detail

LIST_RELATED = ("organization__country", "cooperation_type")


def staff_required(view):
    return staff_member_required(view, login_url="web:login")


@staff_required
def moderation(request, focal_point_form=None):
    """What waits for the secretariat; a refused `focal_point_form` again with its errors."""
    opportunities = Opportunity.objects.select_related(*LIST_RELATED)
    context = {
        "pending": opportunities.filter(moderation=Moderation.PENDING).order_by("created_at", "id"),
        "hidden": opportunities.filter(moderation=Moderation.HIDDEN).order_by("-updated_at", "-id"),
        "unverified": Organization.objects.filter(verified=False)
        .select_related("country")
        .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("user"))),
        "join_requests": JoinRequest.objects.select_related("user", "organization__country")
        .annotate(
            editors=Count(
                "organization__memberships", filter=Q(organization__memberships__role=MemberRole.EDITOR)
            )
        )
        .order_by("created_at", "id"),
        "focal_points": Organization.objects.filter(focal_point_of__isnull=False)
        .select_related("focal_point_of", "focal_point_granted_by")
        .order_by("focal_point_of__name"),
        "hide_form": HideForm(),
        "focal_point_form": focal_point_form or FocalPointForm(),
        "roles": MemberRole.choices,
    }
    return render(request, "matchmaking/moderation.html", context)


@require_POST
@staff_required
def approve(request, pk):
    opportunity = get_object_or_404(Opportunity, pk=pk)
    moderating.approve_opportunity(opportunity, user=request.user)
    messages.success(request, _("“%(title)s” is shown to everyone.") % {"title": opportunity.title})
    return redirect_back(request, "web:moderation")


@require_POST
@staff_required
def hide(request, pk):
    opportunity = get_object_or_404(Opportunity, pk=pk)
    form = HideForm(request.POST)
    if not form.is_valid():
        return opportunity_detail(request, pk, hide_form=form)
    moderating.hide_opportunity(opportunity, user=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("“%(title)s” is hidden; its editors see why.") % {"title": opportunity.title})
    return redirect("web:opportunity", pk=opportunity.pk)


@require_POST
@staff_required
def verify(request, pk):
    organization = get_object_or_404(Organization, pk=pk)
    moderating.verify_organization(organization, user=request.user)
    messages.success(
        request, _("%(name)s is verified; its postings are approved.") % {"name": organization.name}
    )
    return redirect("web:moderation")


@require_POST
@staff_required
def designate_focal_point(request):
    form = FocalPointForm(request.POST)
    if form.is_valid():
        organization = moderating.designate_focal_point(
            form.cleaned_data["organization"],
            user=request.user,
            country=form.cleaned_data["country"],
            since=form.cleaned_data["since"],
        )
        messages.success(
            request,
            _("%(name)s is the official national focal point of %(country)s.")
            % {"name": organization.name, "country": organization.focal_point_of.local_name},
        )
        return redirect("web:moderation")
    return moderation(request, focal_point_form=form)


@require_POST
@staff_required
def withdraw_focal_point(request, pk):
    organization = get_object_or_404(Organization.objects.select_related("focal_point_of"), pk=pk)
    if not confirmed(request) and organization.focal_point_of is not None:
        names = {"name": organization.name, "country": organization.focal_point_of.local_name}
        return confirmation(
            request,
            question=_("Withdraw the designation of %(name)s?") % names,
            consequence=_(
                "It will no longer be the official national focal point of %(country)s: its postings lose "
                "the badge “On behalf of” the Party."
            )
            % names,
            yes=_("Yes, withdraw"),
            back=reverse("web:moderation"),
        )
    moderating.withdraw_focal_point(organization, user=request.user)
    messages.success(request, _("%(name)s is no longer a focal point.") % {"name": organization.name})
    return redirect("web:moderation")
