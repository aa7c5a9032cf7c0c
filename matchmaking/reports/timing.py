"""Time to match: from a request's publication to its first accepted match."""

import math

from django.db.models import CharField, Min, Q, Value
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    Direction,
    MatchStatus,
)
from matchmaking.models import (
    Opportunity,
)

from .base import PERIODS, group_expressions, group_label, opportunity_scope, period_keys, quarter_of


def percentile(values, fraction):
    """The `fraction` percentile of `values`, interpolated between the closest ranks as
    PostgreSQL's percentile_cont does; None for no values."""
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _days(since, until):
    return None if until is None else (until - since).total_seconds() / 86400


def _spread(durations):
    durations = [d for d in durations if d is not None]
    median, p90 = percentile(durations, 0.5), percentile(durations, 0.9)
    return {
        "median": None if median is None else round(median, 1),
        "p90": None if p90 is None else round(p90, 1),
    }


def time_to_match(filters, by="all"):
    """Days from a request's publication to its first expression of interest and to its first
    accepted match: median and 90th percentile per `by` (one of TIME_TO_MATCH_GROUPS), over the
    requests published in the period. One query returns every request's dates; the percentiles
    are taken here, the same on SQLite and PostgreSQL."""
    accepted = Q(request_matches__events__to_status=MatchStatus.ACCEPTED)
    rows = (
        Opportunity.objects.filter(opportunity_scope(filters), direction=Direction.REQUEST)
        .annotate(
            first_interest=Min("request_matches__created_at"),
            first_accepted=Min("request_matches__events__created_at", filter=accepted),
        )
        .order_by()
    )
    if by == "all":
        rows = rows.annotate(group_key=Value("all"), group_label=Value(str(_("All requests"))))
    else:
        key, label = group_expressions(by, "posting")
        rows = rows.annotate(group_key=key, group_label=label or Value(None, CharField()))
    groups = {}
    for published_at, interest, accepted_at, key, label in rows.values_list(
        "published_at", "first_interest", "first_accepted", "group_key", "group_label"
    ):
        key = quarter_of(key) if by == "quarter" else key
        group = groups.setdefault(key, {"label": label, "interest": [], "acceptance": []})
        group["interest"].append(_days(published_at, interest))
        group["acceptance"].append(_days(published_at, accepted_at))
    if by in PERIODS:
        keys = period_keys(min(groups), max(groups), by) if groups else []
    else:
        keys = sorted(groups, key=lambda k: (k is None, group_label(by, k, groups[k]["label"])))
    results = []
    for key in keys:
        group = groups.get(key, {"label": None, "interest": [], "acceptance": []})
        results.append(
            {
                "key": key,
                "label": group_label(by, key, group["label"]),
                "requests": len(group["interest"]),
                "with_interest": sum(d is not None for d in group["interest"]),
                "with_acceptance": sum(d is not None for d in group["acceptance"]),
                "days_to_interest": _spread(group["interest"]),
                "days_to_acceptance": _spread(group["acceptance"]),
            }
        )
    return results
