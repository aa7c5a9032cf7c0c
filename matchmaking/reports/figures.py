"""Key numbers, figures per objective and breakdowns by region, country, type, theme, kind of
organization and period."""

from dataclasses import replace

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    Direction,
    MatchStatus,
)
from matchmaking.models import (
    Match,
    Objective,
    Opportunity,
    Outcome,
)

from .base import (
    PERIODS,
    TOTALLED_INDICATORS,
    goal_title,
    group_label,
    grouped,
    match_scope,
    number,
    objective_title,
    open_now,
    opportunity_scope,
    outcome_scope,
    period_keys,
    prefixed,
)


def opportunity_figures(filters, prefix=""):
    """Aggregates over the opportunities at `prefix`: published offers and requests, and those open now."""
    scope = opportunity_scope(filters, prefix)
    offer, request, live = (
        prefixed(prefix, direction=Direction.OFFER),
        prefixed(prefix, direction=Direction.REQUEST),
        open_now(prefix),
    )
    pk = prefix + "id"
    return {
        "offers": Count(pk, filter=scope & offer, distinct=True),
        "requests": Count(pk, filter=scope & request, distinct=True),
        "open_offers": Count(pk, filter=scope & offer & live, distinct=True),
        "open_requests": Count(pk, filter=scope & request & live, distinct=True),
    }


def match_figures(filters, *prefixes):
    """Aggregates over the matches at `prefixes`, counting each match once; several prefixes reach
    matches by different paths, of which each joined row has at most one (an opportunity is either an
    offer or a request), so the first non-null id is the match's."""
    if len(prefixes) == 1:
        match_id = F(prefixes[0] + "id")
    else:
        match_id = Coalesce(*(F(prefix + "id") for prefix in prefixes))

    def count(**lookups):
        scope = Q()
        for prefix in prefixes:
            scope |= match_scope(filters, prefix) & prefixed(prefix, **lookups)
        return Count(match_id, filter=scope, distinct=True)

    figures = {"matches_total": count()}
    for status in MatchStatus.values:
        figures[f"matches_{status}"] = count(status=status)
    return figures


def outcome_figures(filters, prefix=""):
    """Aggregates over the outcomes at `prefix`: how many, and the total of each indicator."""
    scope = outcome_scope(filters, prefix)
    figures = {"outcome_count": Count(prefix + "id", filter=scope, distinct=True)}
    for key in TOTALLED_INDICATORS:
        figures[f"indicator_{key}"] = Sum(
            prefix + "indicators__value", filter=scope & prefixed(prefix, indicators__key=key)
        )
    return figures


def _opportunities(row):
    return {key: row.get(key, 0) for key in ("offers", "requests", "open_offers", "open_requests")}


def _matches(row):
    return {
        "total": row.get("matches_total", 0),
        **{status: row.get(f"matches_{status}", 0) for status in MatchStatus.values},
    }


def _indicators(row):
    return {key: number(row.get(f"indicator_{key}")) for key in TOTALLED_INDICATORS}


def summary(filters):
    """The key numbers, in one dict: opportunities, matches, outcomes and indicator totals, and the
    countries whose requests reached an accepted match."""
    opportunities = Opportunity.objects.aggregate(**opportunity_figures(filters))
    helped = match_scope(filters) & Q(status__in=CAPACITY_HOLDING_STATUSES)
    matches = Match.objects.aggregate(
        **match_figures(filters, ""),
        countries_helped=Count("request__organization__country", filter=helped, distinct=True),
    )
    outcomes = Outcome.objects.aggregate(**outcome_figures(filters))
    return {
        **_opportunities(opportunities),
        "matches": _matches(matches),
        "countries_helped": matches["countries_helped"],
        "outcomes": outcomes["outcome_count"],
        "indicators": _indicators(outcomes),
    }


def objective_rows(filters):
    rows = Objective.objects.order_by("framework__position", "position", "code")
    if filters.framework:
        rows = rows.filter(framework__code=filters.framework)
    return rows


def objectives(filters):
    """Per objective (with its framework and goal): opportunities, matches by status, outcomes and
    indicator totals. An opportunity or outcome serving several objectives counts under each; a match
    counts under the objectives of its request and of its offer, once under each."""
    unframed = replace(filters, framework=None)  # the objectives are already those of the framework
    figures = (
        objective_rows(filters)
        .values(
            "id",
            "code",
            "title",
            "text",
            "translations",
            "framework__code",
            "goal__code",
            "goal__title",
            "goal__translations",
        )
        .annotate(
            **opportunity_figures(unframed, "opportunities__"),
            **match_figures(unframed, "opportunities__request_matches__", "opportunities__offer_matches__"),
        )
    )
    outcomes = {
        row["id"]: row
        for row in objective_rows(filters).values("id").annotate(**outcome_figures(unframed, "outcomes__"))
    }
    return [
        {
            "framework": row["framework__code"],
            "goal": row["goal__code"],
            "goal_title": goal_title(row),
            "objective": row["code"],
            "title": objective_title(row),
            **_opportunities(row),
            "matches": _matches(row),
            "outcomes": outcomes[row["id"]]["outcome_count"],
            "indicators": _indicators(outcomes[row["id"]]),
        }
        for row in figures
    ]


def breakdown(filters, by, side="request"):
    """Opportunities, matches, outcomes and indicator totals per `by` (one of BREAKDOWNS): an opportunity by
    its own organization, cooperation type, themes and publication date; a match and an outcome by
    their request's (or, with side="offer", their offer's), and by their creation and achievement
    dates. Years and quarters come in order with none missing; other groups by label."""
    tables = [
        grouped(
            Opportunity.objects.filter(opportunity_scope(filters)),
            by,
            "posting",
            side,
            opportunity_figures(filters),
        ),
        grouped(Match.objects.filter(match_scope(filters)), by, "match", side, match_figures(filters, "")),
        grouped(
            Outcome.objects.filter(outcome_scope(filters)), by, "outcome", side, outcome_figures(filters)
        ),
    ]
    merged = {}
    for rows in tables:
        for row in rows:
            merged.setdefault(row["key"], {}).update(row)
    if by in PERIODS:
        keys = period_keys(min(merged), max(merged), by) if merged else []
    else:
        keys = sorted(merged, key=lambda k: (k is None, group_label(by, k, merged[k].get("label"))))
    results = []
    for key in keys:
        row = merged.get(key, {})
        figures = {
            **_opportunities(row),
            "matches": _matches(row),
            "outcomes": row.get("outcome_count", 0),
            "indicators": _indicators(row),
        }
        counted = (
            figures["offers"] or figures["requests"] or figures["matches"]["total"] or figures["outcomes"]
        )
        if counted or by in PERIODS:
            results.append({"key": key, "label": group_label(by, key, row.get("label")), **figures})
    return results
