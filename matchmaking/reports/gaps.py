"""Where help is missing: objectives and themes with requests but no offer, requests waiting longest,
regions left unanswered."""

from dataclasses import replace

from django.db.models import Count, Exists, F, Min, OuterRef
from django.utils import timezone

from matchmaking.choices import (
    Direction,
)
from matchmaking.models import (
    Match,
    Opportunity,
    Theme,
)

from .base import DIMENSIONS, group_label, objective_title, open_now, opportunity_scope
from .figures import objective_rows, opportunity_figures


def _requests_without_offers(filters, prefix):
    """Open requests published in the period, and open offers whatever their publication date."""
    any_date = replace(filters, date_from=None, date_to=None)
    return {
        "open_requests": opportunity_figures(filters, prefix)["open_requests"],
        "open_offers": opportunity_figures(any_date, prefix)["open_offers"],
    }


def uncovered_objectives(filters):
    """Objectives with open requests (published in the period) and no open offer, most requested
    first."""
    unframed = replace(filters, framework=None)
    rows = (
        objective_rows(filters)
        .values("code", "title", "text", "translations", "framework__code", "goal__code")
        .annotate(**_requests_without_offers(unframed, "opportunities__"))
        .filter(open_requests__gt=0, open_offers=0)
        .order_by("-open_requests", "framework__position", "position", "code")
    )
    return [
        {
            "framework": row["framework__code"],
            "goal": row["goal__code"],
            "objective": row["code"],
            "title": objective_title(row),
            "open_requests": row["open_requests"],
        }
        for row in rows
    ]


def uncovered_themes(filters):
    """Themes with open requests (published in the period) and no open offer, most requested first."""
    rows = (
        Theme.objects.values("slug", "label")
        .annotate(**_requests_without_offers(filters, "opportunities__"))
        .filter(open_requests__gt=0, open_offers=0)
        .order_by("-open_requests", "position", "slug")
    )
    return [
        {"theme": row["slug"], "label": row["label"], "open_requests": row["open_requests"]} for row in rows
    ]


def _open_requests(filters):
    return Opportunity.objects.filter(opportunity_scope(filters), open_now(), direction=Direction.REQUEST)


def _no_interest():
    return ~Exists(Match.objects.filter(request=OuterRef("pk")))


def unanswered_requests(filters, limit=20):
    """The open requests that have waited longest without any expression of interest."""
    rows = (
        _open_requests(filters)
        .filter(_no_interest())
        .order_by("published_at", "id")
        .values(
            "id",
            "title",
            "published_at",
            "cooperation_type",
            cooperation_type_label=F("cooperation_type__label"),
            organization_name=F("organization__name"),
            country=F("organization__country"),
            un_group=F("organization__country__un_group"),
        )[:limit]
    )
    now = timezone.now()
    return [{**row, "days_open": (now - row["published_at"]).days} for row in rows]


def unanswered_by_region(filters, by="un_group"):
    """Per UN regional group or country (`by`) of the requesting organization: the requests
    published, those open now, and those open without any expression of interest, most
    unanswered first."""
    key, label = DIMENSIONS[by]
    live = open_now()
    rows = (
        Opportunity.objects.filter(opportunity_scope(filters), direction=Direction.REQUEST)
        .values(key=F(key), label=F(label))
        .annotate(
            requests=Count("id"),
            open_requests=Count("id", filter=live),
            without_interest=Count("id", filter=live & _no_interest()),
            oldest_without_interest=Min("published_at", filter=live & _no_interest()),
        )
        .filter(open_requests__gt=0)
        .order_by("-without_interest", "key")
    )
    return [
        {
            "key": row["key"],
            "label": group_label(by, row["key"], row["label"]),
            "requests": row["requests"],
            "open_requests": row["open_requests"],
            "without_interest": row["without_interest"],
            "share_without_interest": round(row["without_interest"] / row["open_requests"], 3),
            "oldest_without_interest": row["oldest_without_interest"],
        }
        for row in rows
    ]
