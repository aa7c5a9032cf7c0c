"""Pages about opportunities: home, search, browse, one opportunity and its recommendations, post and
edit, close, renew, express interest."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking.choices import ACTIVE_MATCH_STATUSES, Direction, OpportunityStatus
from matchmaking.forms.matches import HideForm, InterestForm
from matchmaking.forms.opportunities import BrowseFilterSet, OpportunityForm, RenewForm
from matchmaking.forms.search import SearchForm
from matchmaking.labels import group_name, language_name
from matchmaking.models import Match, Opportunity, Organization
from matchmaking.recommendations.embedding import covers
from matchmaking.recommendations.recommend import recommend
from matchmaking.recommendations.search import MAX_RESULTS, find, passages_of
from matchmaking.services import matches
from matchmaking.services.contacts import can_see_contact
from matchmaking.services.embeddings import ensure_embedded
from matchmaking.services.errors import ServiceError
from matchmaking.services.opportunities import (
    close_opportunity,
    create_opportunity,
    renew_opportunity,
    reopen_opportunity,
    update_opportunity,
)
from matchmaking.services.who_could_help import who_could_help

from .common import confirmation, confirmed
from .feeds import feed_link

PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 10  # results of a search on a page, each with its passage
LIST_RELATED = ("organization__country", "cooperation_type")


def public_opportunities():
    """What anybody may see: the same rule as the API's, for a visitor who is not signed in."""
    return Opportunity.objects.visible_to(AnonymousUser())


def home(request):
    open_now = public_opportunities().filter(status=OpportunityStatus.OPEN).select_related(*LIST_RELATED)
    offers = open_now.filter(direction=Direction.OFFER)
    requests = open_now.filter(direction=Direction.REQUEST)
    context = {
        "offers": offers[:5],
        "requests": requests[:5],
        "offer_count": offers.count(),
        "request_count": requests.count(),
        "organization_count": Organization.objects.filter(opportunities__in=public_opportunities())
        .distinct()
        .count(),
    }
    return render(request, "matchmaking/home.html", context)


def search(request):
    """Open opportunities close in meaning to the words typed, best first, offers or requests or
    both, near-identical ones grouped; each with the passage that answers the words, marked."""
    form = SearchForm(request.GET or None)
    context = {"form": form, "q": "", "results": []}
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        text = form.cleaned_data["q"].strip()
        found = find(text, direction=form.cleaned_data["direction"] or None)
        page = Paginator(found.results, SEARCH_PAGE_SIZE).get_page(form.cleaned_data["page"])
        results = list(page.object_list)
        ids = [r.id for r in results] + [pk for r in results for pk in r.similar]
        opportunities = public_opportunities().select_related(*LIST_RELATED).in_bulk(ids)
        shown = passages_of(found, results, opportunities)
        context.update(
            q=text,
            page=page,
            found=found.found,
            limit=MAX_RESULTS,
            query=urlencode(form.query()),
            results=[
                {
                    "opportunity": opportunities[r.id],
                    "score": r.score,
                    "title": marked_html(shown[r.id]["title"]),
                    "passage": marked_html(shown[r.id]["passage"]),
                    "similar": [opportunities[pk] for pk in r.similar if pk in opportunities],
                }
                for r in results
                if r.id in opportunities
            ],
        )
    return render(request, "matchmaking/search.html", context)


def marked_html(parts):
    """A text's parts (`ml.passages.Part`) as HTML: escaped, the words searched in <mark>."""
    return format_html_join(
        "", "{}", ((format_html("<mark>{}</mark>", p.text) if p.marked else p.text,) for p in parts)
    )


def browse(request):
    queryset = public_opportunities().select_related(*LIST_RELATED).prefetch_related("themes")
    filterset = BrowseFilterSet(request.GET or None, queryset=queryset, request=request)
    found = filterset.qs if filterset.is_bound else queryset
    if filterset.is_bound and not filterset.is_valid():
        found = queryset.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    valid = not filterset.is_bound or filterset.is_valid()
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "feed_url": feed_link(filterset, query) if valid else "",
    }
    return render(request, "matchmaking/browse.html", context)


def opportunity_detail(request, pk, hide_form=None):
    """A posting; for its members, its matches and recommendations; for staff, moderation (a refused
    `hide_form` again with its errors)."""
    opportunity = get_object_or_404(
        Opportunity.objects.visible_to(request.user)
        .select_related("organization__country", "cooperation_type")
        .with_lists()
        .prefetch_related("objectives__goal", "organization__country__groups"),
        pk=pk,
    )
    is_member = opportunity.organization.has_member(request.user)
    can_edit = opportunity.organization.has_editor(request.user)
    recommendations = []
    best_score = None  # of the recommendations, when they were ranked
    if is_member and opportunity.status == OpportunityStatus.OPEN:
        recommendations = recommended(opportunity)
        best_score = recommendations[0]["score"] if recommendations else 0.0
    help_advice = None
    if can_edit and opportunity.direction == Direction.REQUEST:
        help_advice = who_could_help(opportunity, best_score=best_score)
    objectives = sorted(opportunity.objectives.all(), key=lambda o: (o.framework_id, o.position))
    context = {
        "posting": opportunity,
        "objectives": objectives,
        "is_member": is_member,
        "can_edit": can_edit,
        "shows_contact": can_see_contact(opportunity, request.user),
        "recommendations": recommendations,
        "help": help_advice,
        "languages": [language_name(language) for language in opportunity.languages.all()],
        "eligible_groups": [group_name(group) for group in opportunity.eligible_groups.all()],
        "eligible_countries": opportunity.eligible_countries.all(),
        "matches": matches_of(opportunity, request.user) if is_member else [],
        "hide_form": (hide_form or HideForm()) if request.user.is_staff else None,
        "language_not_read": (
            language_name(opportunity.text_language)
            if is_member and not covers(opportunity.text_language)
            else ""
        ),
        # What was typed in an expression of interest the service refused, to be typed again.
        "interest_draft": request.session.pop(INTEREST_DRAFT, None) or {},
    }
    return render(request, "matchmaking/posting_detail.html", context)


def recommended(opportunity, limit=10):
    """The recommendations of `opportunity`, with their reasons in plain words and the match, if any,
    already started between the two."""
    results = recommend(opportunity, limit=limit)
    if results.pending and ensure_embedded(opportunity):
        results = recommend(opportunity, limit=limit)
    candidates = [r["opportunity"] for r in results]
    prefetch_related_objects(candidates, "themes")
    active = active_matches(opportunity, candidates)
    for result in results:
        result["sentences"] = result["reasons"]["summary"]
        result["percent"] = round(result["score"] * 100)
        result["match"] = active.get(result["opportunity"].pk)
    return results


def active_matches(opportunity, candidates):
    """The live matches between `opportunity` and each of `candidates`, by the candidate's id."""
    mine, theirs = (
        ("request", "offer") if opportunity.direction == Direction.REQUEST else ("offer", "request")
    )
    found = Match.objects.filter(
        **{mine: opportunity, f"{theirs}__in": candidates, "status__in": ACTIVE_MATCH_STATUSES}
    )
    return {getattr(match, f"{theirs}_id"): match for match in found}


def matches_of(opportunity, user):
    field = "request" if opportunity.direction == Direction.REQUEST else "offer"
    return list(Match.objects.visible_to(user).filter(**{field: opportunity}).with_sides())


@login_required
def opportunity_create(request):
    """Posts an offer or a request: first the choice between the two (the form shows the fields of
    one), then the form."""
    if not Organization.objects.editable_by(request.user).exists():
        messages.info(request, _("To post an offer or a request, you must be an editor of an organization."))
        return redirect("web:my_organization")
    direction = (request.POST if request.method == "POST" else request.GET).get("direction")
    if direction not in Direction.values:
        # A POST without a direction did not come from the form.
        return render(request, "matchmaking/posting_direction.html", status=400 if request.POST else 200)
    form = OpportunityForm(request.POST or None, user=request.user, direction=direction)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["status"] = OpportunityStatus.OPEN if "publish" in request.POST else OpportunityStatus.DRAFT
        opportunity = create_opportunity(user=request.user, data=data)
        messages.success(request, saved_message(opportunity))
        return redirect("web:opportunity", pk=opportunity.pk)
    return render(request, "matchmaking/posting_form.html", {"form": form, "direction": direction})


@login_required
def opportunity_edit(request, pk):
    opportunity = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    form = OpportunityForm(request.POST or None, instance=opportunity, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if "publish" in request.POST and opportunity.status == OpportunityStatus.DRAFT:
            data["status"] = OpportunityStatus.OPEN
        try:
            opportunity = update_opportunity(opportunity, user=request.user, data=data)
        except ServiceError as error:  # such as a capacity below the places already taken
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, saved_message(opportunity))
            return redirect("web:opportunity", pk=opportunity.pk)
    context = {"form": form, "posting": opportunity, "direction": opportunity.direction}
    return render(request, "matchmaking/posting_form.html", context)


@login_required
def opportunity_renew(request, pk):
    """An editor extends the posting's end date (and its application deadline) in one step; a closed
    posting opens again. The expiry reminder links here."""
    opportunity = get_object_or_404(
        Opportunity.objects.editable_by(request.user).select_related("organization"), pk=pk
    )
    form = RenewForm(request.POST or None, opportunity=opportunity)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = renew_opportunity(opportunity, user=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Renewed until %(date)s: it is open and recommended.")
                % {"date": formats.date_format(opportunity.ends_on, "DATE_FORMAT")},
            )
            return redirect("web:opportunity", pk=opportunity.pk)
    return render(request, "matchmaking/posting_renew.html", {"form": form, "posting": opportunity})


def saved_message(opportunity):
    if opportunity.status == OpportunityStatus.DRAFT:
        return _("Saved as a draft: only your organization sees it until you publish it.")
    if not opportunity.is_approved:
        return _("Published. It will be shown to others once the secretariat has approved it.")
    return _("Published.")


@require_POST
@login_required
def opportunity_publish(request, pk):
    opportunity = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    if opportunity.status == OpportunityStatus.DRAFT:
        opportunity = update_opportunity(
            opportunity, user=request.user, data={"status": OpportunityStatus.OPEN}
        )
        messages.success(request, saved_message(opportunity))
    return redirect("web:opportunity", pk=opportunity.pk)


def _change_status(request, pk, service, done):
    """An editor's close or reopen: the service's refusal, or `done`, as a message on the posting's page."""
    opportunity = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    try:
        service(opportunity, user=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("web:opportunity", pk=opportunity.pk)


@require_POST
@login_required
def opportunity_close(request, pk):
    if not confirmed(request):
        opportunity = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
        return confirmation(
            request,
            question=_("Close this posting?"),
            subject=opportunity.title,
            consequence=_(
                "It stays visible, but is no longer recommended, nobody can express interest in it and "
                "interest already expressed can no longer be accepted. Accepted matches go on. You can "
                "reopen it while it has not ended."
            ),
            yes=_("Yes, close it"),
            back=reverse("web:opportunity", args=[opportunity.pk]),
        )
    return _change_status(
        request, pk, close_opportunity, _("Closed: it stays visible but is no longer recommended.")
    )


@require_POST
@login_required
def opportunity_reopen(request, pk):
    return _change_status(request, pk, reopen_opportunity, _("Open again: it is recommended again."))


INTEREST_DRAFT = "interest_draft"


@require_POST
@login_required
def express_interest(request, pk):
    """An editor of `pk`'s organization expresses interest in one of its recommendations."""
    opportunity = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    form = InterestForm(request.POST)
    if not form.is_valid():
        raise Http404
    partner = get_object_or_404(Opportunity.objects.visible_to(request.user), pk=form.cleaned_data["partner"])
    pair = {"request": opportunity, "offer": partner}
    if opportunity.direction == Direction.OFFER:
        pair = {"request": partner, "offer": opportunity}
    try:
        match = matches.express_interest(user=request.user, message=form.cleaned_data["message"], **pair)
    except ServiceError as error:
        messages.error(request, error.message)
        request.session[INTEREST_DRAFT] = {"partner": partner.pk, "message": form.cleaned_data["message"]}
        return redirect("web:opportunity", pk=opportunity.pk)
    messages.success(request, _("Interest expressed: the other organization has been told."))
    return redirect("web:match", pk=match.pk)
