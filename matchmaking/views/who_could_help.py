"""Who could help with a request that waits for help: inviting a suggested organization (the
request's editors and staff), and the staff's list of the requests waiting for help."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking.forms.who_could_help import InviteForm
from matchmaking.models import Opportunity, Organization
from matchmaking.services import who_could_help as helping
from matchmaking.services.errors import ServiceError

from .common import redirect_back
from .moderation import staff_required


@require_POST
@login_required
def invite(request, pk):
    """An editor of the request (or staff) invites one of the organizations suggested for it."""
    opportunity = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        raise Http404
    organization = get_object_or_404(Organization, pk=form.cleaned_data["organization"])
    try:
        helping.invite_to_help(opportunity, organization, user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(organization)s is invited to help: its editors have been told.")
            % {"organization": organization.name},
        )
    return redirect_back(request, "web:opportunity", pk=opportunity.pk)


@staff_required
def waiting_for_help(request):
    """Staff: the requests that wait for help, with the organizations that could help."""
    context = {
        "waiting": helping.requests_waiting_for_help(),
        "after_days": settings.WHO_COULD_HELP_AFTER_DAYS,
    }
    return render(request, "matchmaking/waiting_for_help.html", context)
