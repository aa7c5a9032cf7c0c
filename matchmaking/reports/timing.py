"""Time to match: from a request's publication to its first accepted match; and how its proposals
were answered: the share that expired without an answer, and the days to the first answer."""

import math

from django.db.models import CharField, Min, Q, Value
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    ANSWERED_STATUSES,
    Direction,
    MatchStatus,
)
from matchmaking.models import (
    Match,
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


def _proposals(requests):
    """request id -> [(expired, days from the proposal to its first answer, or None)] of each match
    proposed on the requests (one query)."""
    answered = Q(events__to_status__in=ANSWERED_STATUSES)
    rows = (
        Match.objects.filter(request__in=requests)
        .annotate(first_answer=Min("events__created_at", filter=answered))
        .order_by()
        .values_list("request_id", "status", "created_at", "first_answer")
    )
    proposals = {}
    for request_id, status, created_at, first_answer in rows:
        proposals.setdefault(request_id, []).append(
            (status == MatchStatus.EXPIRED, _days(created_at, first_answer))
        )
    return proposals


def _answer_figures(proposals):
    """The figures of a list of (expired, days to the first answer) proposals."""
    expired = sum(is_expired for is_expired, _answer in proposals)
    return {
        "proposals": len(proposals),
        "expired": expired,
        "share_expired": round(expired / len(proposals), 3) if proposals else None,
        "days_to_answer": _spread([answer for _expired, answer in proposals]),
    }


def _requests(filters):
    return Opportunity.objects.filter(opportunity_scope(filters), direction=Direction.REQUEST)


def proposal_answers(filters):
    """How the proposals made on the requests published in the period were answered: how many, how
    many expired without an answer and their share, and the days to the first answer (one query)."""
    return _answer_figures([row for rows in _proposals(_requests(filters)).values() for row in rows])


def time_to_match(filters, by="all"):
    """Days from a request's publication to its first expression of interest and to its first
    accepted match: median and 90th percentile per `by` (one of TIME_TO_MATCH_GROUPS), over the
    requests published in the period; and of the proposals made on those requests, how many expired
    without an answer, and the days from a proposal to its first answer (accepted or declined). Two
    queries return every request's and every proposal's dates; the percentiles are taken here, the same
    on SQLite and PostgreSQL."""
    accepted = Q(request_matches__events__to_status=MatchStatus.ACCEPTED)
    requests = _requests(filters)
    rows = requests.annotate(
        first_interest=Min("request_matches__created_at"),
        first_accepted=Min("request_matches__events__created_at", filter=accepted),
    ).order_by()
    if by == "all":
        rows = rows.annotate(group_key=Value("all"), group_label=Value(str(_("All requests"))))
    else:
        key, label = group_expressions(by, "posting")
        rows = rows.annotate(group_key=key, group_label=label or Value(None, CharField()))
    proposals = _proposals(requests)
    groups = {}
    for pk, published_at, interest, accepted_at, key, label in rows.values_list(
        "pk", "published_at", "first_interest", "first_accepted", "group_key", "group_label"
    ):
        key = quarter_of(key) if by == "quarter" else key
        group = groups.setdefault(key, _empty_group(label))
        group["interest"].append(_days(published_at, interest))
        group["acceptance"].append(_days(published_at, accepted_at))
        group["proposals"] += proposals.get(pk, [])
    if by in PERIODS:
        keys = period_keys(min(groups), max(groups), by) if groups else []
    else:
        keys = sorted(groups, key=lambda k: (k is None, group_label(by, k, groups[k]["label"])))
    results = []
    for key in keys:
        group = groups.get(key, _empty_group(None))
        results.append(
            {
                "key": key,
                "label": group_label(by, key, group["label"]),
                "requests": len(group["interest"]),
                "with_interest": sum(d is not None for d in group["interest"]),
                "with_acceptance": sum(d is not None for d in group["acceptance"]),
                "days_to_interest": _spread(group["interest"]),
                "days_to_acceptance": _spread(group["acceptance"]),
                **_answer_figures(group["proposals"]),
            }
        )
    return results


def _empty_group(label):
    return {"label": label, "interest": [], "acceptance": [], "proposals": []}
