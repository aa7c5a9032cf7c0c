"""The match page: the two opportunities side by side, the history, the steps the user may take, and
the conversation between the two sides."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from matchmaking.choices import CAPACITY_HOLDING_STATUSES
from matchmaking.forms.conversations import HideMessageForm, MessageForm
from matchmaking.forms.matches import IndicatorFormSet, NoteForm, OutcomeForm
from matchmaking.labels import group_name, language_name
from matchmaking.models import Match
from matchmaking.models.opportunities import LIST_FIELDS
from matchmaking.services import conversations
from matchmaking.services.contacts import can_see_contact, contact_access, ways_to_reach
from matchmaking.services.errors import ServiceError
from matchmaking.services.matches import STEPS, allowed_actions
from matchmaking.services.outcomes import complete_match

from .common import confirmation, confirmed

# action: (the button's label, what the page says once done); the step itself is matches.STEPS[action]
ACTIONS = {
    "accept": (gettext_lazy("Accept"), gettext_lazy("Match accepted.")),
    "decline": (gettext_lazy("Decline"), gettext_lazy("Match declined.")),
    "withdraw": (gettext_lazy("Withdraw"), gettext_lazy("Interest withdrawn.")),
    "start": (gettext_lazy("Start the cooperation"), gettext_lazy("Cooperation started.")),
    "cancel": (gettext_lazy("Cancel"), gettext_lazy("Match cancelled.")),
}
# The steps that end a match are confirmed first: (the question, what follows, the "yes" button).
CONFIRMATIONS = {
    "decline": (
        gettext_lazy("Decline this interest?"),
        gettext_lazy("The match ends and the other organization is told. This cannot be undone."),
        gettext_lazy("Yes, decline"),
    ),
    "withdraw": (
        gettext_lazy("Withdraw your interest?"),
        gettext_lazy("The match ends and the other organization is told. This cannot be undone."),
        gettext_lazy("Yes, withdraw"),
    ),
    "cancel": (
        gettext_lazy("Cancel this match?"),
        gettext_lazy(
            "The cooperation stops, the other organization is told, and both postings can take another "
            "partner. This cannot be undone."
        ),
        gettext_lazy("Yes, cancel the match"),
    ),
}


# Messages per page of the conversation; the page opens on its latest messages.
THREAD_PAGE_SIZE = 50


def visible_match(user, pk):
    return get_object_or_404(
        Match.objects.visible_to(user)
        .with_unread_messages(user)
        .select_related(
            "request__organization__country",
            "request__cooperation_type",
            "offer__organization__country",
            "offer__cooperation_type",
            "initiated_by",
            "created_by",
        ),
        pk=pk,
    )


def side(opportunity, user, access, accepted):
    """One side of the match as the page shows it; once the match is accepted, how to reach it."""
    shows_contact = can_see_contact(opportunity, user, access)
    return {
        "posting": opportunity,
        "shows_contact": shows_contact,
        "reach": ways_to_reach(opportunity) if accepted and shows_contact else None,
        "languages": [language_name(language) for language in opportunity.languages.all()],
        "eligible_groups": [group_name(group) for group in opportunity.eligible_groups.all()],
    }


def writer_sides(match, user):
    """The (side, organization) pairs the user may write for."""
    organizations = {"request": match.request.organization, "offer": match.offer.organization}
    return [(side, organizations[side]) for side in conversations.writer_sides(match, user)]


def conversation(request, match, message_form=None):
    """The page of the conversation asked for (the latest by default), marked read; each message says
    whether it is new to the reader."""
    paginator = Paginator(match.messages.select_related("author"), THREAD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    thread = list(page)
    shown = max((message.pk for message in thread), default=None)
    last_read = conversations.mark_read(match, user=request.user, up_to=shown) if shown else None
    for message in thread:
        message.is_new = not conversations.is_read(message, request.user, last_read)
    can_write = conversations.can_write(match, request.user)
    return {
        "thread": thread,
        "thread_page": page,
        "unread": match.unread_messages,
        "can_write": can_write,
        "conversation_open": conversations.is_open(match),
        "message_form": message_form
        or (MessageForm(sides=writer_sides(match, request.user)) if can_write else None),
        "hide_form": HideMessageForm() if request.user.is_staff else None,
    }


@login_required
def match_detail(request, pk, outcome_form=None, indicator_forms=None, note_form=None, message_form=None):
    """The match page; a refused form (`note_form` of the steps, the outcome's, or a message) is shown
    again with its errors."""
    match = visible_match(request.user, pk)
    prefetch_related_objects([match.request, match.offer], *LIST_FIELDS)
    allowed = allowed_actions(match, request.user)
    access = contact_access(request.user)
    accepted = match.status in CAPACITY_HOLDING_STATUSES
    outcome = getattr(match, "outcome", None) if match.status == "completed" else None
    note_form = note_form or NoteForm()
    outcome_form = outcome_form or OutcomeForm(initial=outcome_initial(match))
    indicator_forms = indicator_forms or IndicatorFormSet(prefix="indicators")
    context = {
        "match": match,
        "sides": [
            side(match.request, request.user, access, accepted),
            side(match.offer, request.user, access, accepted),
        ],
        "events": match.events.select_related("actor"),
        "actions": [(name, ACTIONS[name][0]) for name in allowed if name in ACTIONS],
        "can_complete": "complete" in allowed,
        "note_form": note_form,
        "outcome": outcome,
        "outcome_form": outcome_form,
        "indicator_forms": indicator_forms,
        **conversation(request, match, message_form),
        "error_forms": [note_form, outcome_form, indicator_forms, message_form],
        "expiry_days": settings.PROPOSAL_EXPIRY_DAYS,
    }
    return render(request, "matchmaking/match.html", context)


def outcome_initial(match):
    codes = {o.code for o in match.request.objectives.all()} | {o.code for o in match.offer.objectives.all()}
    return {"objectives": sorted(codes)}


@require_POST
@login_required
def match_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    match = visible_match(request.user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return match_detail(request, pk, note_form=form)
    note = form.cleaned_data["note"]
    if action in CONFIRMATIONS and not confirmed(request) and action in allowed_actions(match, request.user):
        question, consequence, yes = CONFIRMATIONS[action]
        return confirmation(
            request,
            question=question,
            subject=f"{match.request.title} ⇄ {match.offer.title}",
            consequence=consequence,
            yes=yes,
            back=reverse("web:match", args=[match.pk]),
            keep=["note"],
            quote=note,
        )
    _label, done = ACTIONS[action]
    try:
        STEPS[action](match, user=request.user, note=note)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("web:match", pk=match.pk)


@require_POST
@login_required
def match_complete(request, pk):
    match = visible_match(request.user, pk)
    form = OutcomeForm(request.POST)
    indicator_forms = IndicatorFormSet(request.POST, prefix="indicators")
    if not (form.is_valid() and indicator_forms.is_valid()):
        return match_detail(request, pk, outcome_form=form, indicator_forms=indicator_forms)
    indicators = [row for row in (f.indicator() for f in indicator_forms) if row]
    try:
        complete_match(match, user=request.user, outcome=form.outcome(indicators))
    except ServiceError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            return match_detail(request, pk, outcome_form=form, indicator_forms=indicator_forms)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Cooperation completed: thank you for recording its outcome."))
    return redirect("web:match", pk=match.pk)


def conversation_url(match):
    return reverse("web:match", args=[match.pk]) + "#conversation"


@require_POST
@login_required
def match_message(request, pk):
    match = visible_match(request.user, pk)
    form = MessageForm(request.POST, sides=writer_sides(match, request.user))
    if not form.is_valid():
        return match_detail(request, pk, message_form=form)
    try:
        conversations.post_message(
            match, user=request.user, body=form.cleaned_data["body"], side=form.cleaned_data.get("side")
        )
    except ServiceError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            return match_detail(request, pk, message_form=form)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Message sent."))
    return redirect(conversation_url(match))


@require_POST
@login_required
def match_message_hide(request, pk, message_pk):
    match = visible_match(request.user, pk)
    message = get_object_or_404(match.messages, pk=message_pk)
    form = HideMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect(conversation_url(match))
    try:
        conversations.hide_message(message, user=request.user, reason=form.cleaned_data["reason"])
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Message hidden."))
    return redirect(conversation_url(match))
