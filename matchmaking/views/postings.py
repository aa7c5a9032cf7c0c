"""Pages about postings: home, search, browse, a posting and its recommendations, post and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import matching, services
from matchmaking.choices import ACTIVE_MATCH_STATUSES, Direction, OpportunityStatus
from matchmaking.forms import (
    BrowseFilterSet,
    HideForm,
    InterestForm,
    OpportunityForm,
    group_name,
    language_name,
)
from matchmaking.models import Match, Opportunity, Organization

from .reasons import Vocabulary, plain_reasons

PAGE_SIZE = 20
POSTING_PREFETCH = (
    "themes",
    "objectives__goal",
    "languages",
    "eligible_groups",
    "eligible_countries",
)
LIST_RELATED = ("organization__country", "cooperation_type")


def public_postings():
    """What anybody may see: the same rule as the API's, for a visitor who is not signed in."""
    return Opportunity.objects.visible_to(AnonymousUser())


def home(request):
    open_postings = public_postings().filter(status=OpportunityStatus.OPEN).select_related(*LIST_RELATED)
    offers = open_postings.filter(direction=Direction.OFFER)
    requests = open_postings.filter(direction=Direction.REQUEST)
    context = {
        "offers": offers[:5],
        "requests": requests[:5],
        "offer_count": offers.count(),
        "request_count": requests.count(),
        "organization_count": Organization.objects.filter(opportunities__in=public_postings())
        .distinct()
        .count(),
    }
    return render(request, "matchmaking/home.html", context)


def search(request):
    """Open postings close in meaning to the words typed, best first."""
    text = request.GET.get("q", "").strip()[:500]
    results = []
    if text:
        results = matching.search(text, limit=PAGE_SIZE)
        prefetch_related_objects([r["opportunity"] for r in results], "themes")
    return render(request, "matchmaking/search.html", {"q": text, "results": results})


def browse(request):
    queryset = public_postings().select_related(*LIST_RELATED).prefetch_related("themes")
    filterset = BrowseFilterSet(request.GET or None, queryset=queryset, request=request)
    postings = filterset.qs if filterset.is_bound else queryset
    if filterset.is_bound and not filterset.is_valid():
        postings = queryset.none()
    page = Paginator(postings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "query": query.urlencode()}
    return render(request, "matchmaking/browse.html", context)


def posting_detail(request, pk):
    posting = get_object_or_404(
        Opportunity.objects.visible_to(request.user)
        .select_related("organization__country", "cooperation_type")
        .prefetch_related(*POSTING_PREFETCH, "organization__country__groups"),
        pk=pk,
    )
    is_member = posting.organization.has_member(request.user)
    can_edit = posting.organization.has_editor(request.user)
    recommendations = []
    if is_member and posting.status == OpportunityStatus.OPEN:
        recommendations = recommended(posting)
    objectives = sorted(posting.objectives.all(), key=lambda o: (o.framework_id, o.position))
    context = {
        "posting": posting,
        "objectives": objectives,
        "is_member": is_member,
        "can_edit": can_edit,
        "shows_contact": services.can_see_contact(posting, request.user),
        "recommendations": recommendations,
        "languages": [language_name(language) for language in posting.languages.all()],
        "eligible_groups": [group_name(group) for group in posting.eligible_groups.all()],
        "eligible_countries": posting.eligible_countries.all(),
        "matches": posting_matches(posting, request.user) if is_member else [],
        "hide_form": HideForm() if request.user.is_staff else None,
    }
    return render(request, "matchmaking/posting_detail.html", context)


def recommended(posting, limit=10):
    """The recommendations of `posting`, with their reasons in plain words and the match, if any,
    already started between the two."""
    results = matching.recommend(posting, limit=limit)
    candidates = [r["opportunity"] for r in results]
    prefetch_related_objects(
        candidates, "themes", "eligible_groups", "eligible_countries", "organization__country__groups"
    )
    active = active_matches(posting, candidates)
    vocabulary = Vocabulary()
    for result in results:
        result["sentences"] = plain_reasons(result["reasons"], posting, result["opportunity"], vocabulary)
        result["percent"] = round(result["score"] * 100)
        result["match"] = active.get(result["opportunity"].pk)
    return results


def active_matches(posting, candidates):
    """The live matches between `posting` and each of `candidates`, by the candidate's id."""
    mine, theirs = ("request", "offer") if posting.direction == Direction.REQUEST else ("offer", "request")
    found = Match.objects.filter(
        **{mine: posting, f"{theirs}__in": candidates, "status__in": ACTIVE_MATCH_STATUSES}
    )
    return {getattr(match, f"{theirs}_id"): match for match in found}


def posting_matches(posting, user):
    field = "request" if posting.direction == Direction.REQUEST else "offer"
    return list(
        Match.objects.visible_to(user)
        .filter(**{field: posting})
        .select_related("request__organization", "offer__organization")
    )


@login_required
def posting_create(request):
    direction = request.GET.get("direction")
    initial = {"direction": direction} if direction in Direction.values else {}
    form = OpportunityForm(request.POST or None, user=request.user, initial=initial)
    if not form.fields["organization"].queryset.exists():
        messages.info(request, _("To post an offer or a request, you must be an editor of an organization."))
        return redirect("web:my_organization")
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["status"] = OpportunityStatus.OPEN if "publish" in request.POST else OpportunityStatus.DRAFT
        posting = services.create_opportunity(user=request.user, data=data)
        messages.success(request, saved_message(posting))
        return redirect("web:posting", pk=posting.pk)
    return render(request, "matchmaking/posting_form.html", {"form": form})


@login_required
def posting_edit(request, pk):
    posting = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    form = OpportunityForm(request.POST or None, instance=posting, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if "publish" in request.POST and posting.status == OpportunityStatus.DRAFT:
            data["status"] = OpportunityStatus.OPEN
        posting = services.update_opportunity(posting, user=request.user, data=data)
        messages.success(request, saved_message(posting))
        return redirect("web:posting", pk=posting.pk)
    return render(request, "matchmaking/posting_form.html", {"form": form, "posting": posting})


def saved_message(posting):
    if posting.status == OpportunityStatus.DRAFT:
        return _("Saved as a draft: only your organization sees it until you publish it.")
    if not posting.is_approved:
        return _("Published. It will be shown to others once the secretariat has approved it.")
    return _("Published.")


@require_POST
@login_required
def posting_publish(request, pk):
    posting = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    if posting.status == OpportunityStatus.DRAFT:
        posting = services.update_opportunity(
            posting, user=request.user, data={"status": OpportunityStatus.OPEN}
        )
        messages.success(request, saved_message(posting))
    return redirect("web:posting", pk=posting.pk)


@require_POST
@login_required
def posting_close(request, pk):
    posting = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    try:
        services.close_opportunity(posting, user=request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Closed: it stays visible but is no longer recommended."))
    return redirect("web:posting", pk=posting.pk)


@require_POST
@login_required
def express_interest(request, pk):
    """An editor of `pk`'s organization expresses interest in one of its recommendations."""
    posting = get_object_or_404(Opportunity.objects.editable_by(request.user), pk=pk)
    form = InterestForm(request.POST)
    if not form.is_valid():
        raise Http404
    partner = get_object_or_404(Opportunity.objects.visible_to(request.user), pk=form.cleaned_data["partner"])
    pair = {"request": posting, "offer": partner}
    if posting.direction == Direction.OFFER:
        pair = {"request": partner, "offer": posting}
    try:
        match = services.express_interest(user=request.user, message=form.cleaned_data["message"], **pair)
    except services.ServiceError as error:
        messages.error(request, error.message)
        return redirect("web:posting", pk=posting.pk)
    messages.success(request, _("Interest expressed: the other organization has been told."))
    return redirect("web:match", pk=match.pk)
