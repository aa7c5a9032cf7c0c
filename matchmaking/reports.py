"""Reports against the strategic plans: plain functions that take `ReportFilters` and return lists
of dicts, for the API and the dashboard alike.

The database aggregates (`values().annotate()`, one query per table a report reads); Python only
merges a few grouped rows and, for time to match, takes percentiles over one list of durations,
which works on SQLite and PostgreSQL alike.

What counts: postings that were published and approved (never drafts, postings waiting for
approval or hidden ones); matches between such postings; outcomes that are public, and private
ones for staff and for members of the organizations involved (`Outcome.objects.visible_to`).
The period bounds each table's own date: a posting's publication, a match's creation, an
outcome's achievement.
"""

import datetime
import math
from dataclasses import dataclass, replace
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, Exists, F, Min, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    CAPACITY_HOLDING_STATUSES,
    Direction,
    Indicator,
    MatchStatus,
    Moderation,
    OpportunityStatus,
    OrganizationKind,
)
from matchmaking.models import (
    Match,
    MatchEvent,
    Objective,
    Opportunity,
    Outcome,
    Theme,
)

# `other` adds up values of different units, so it is never totalled.
TOTALLED_INDICATORS = [key for key in Indicator.values if key != Indicator.OTHER]
PUBLIC_STATUSES = (OpportunityStatus.OPEN, OpportunityStatus.CLOSED)

# Breakdown dimensions: the path from a posting to the key and to its label.
DIMENSIONS = {
    "un_group": ("organization__country__un_group", "organization__country__un_group__name"),
    "country": ("organization__country", "organization__country__name"),
    "cooperation_type": ("cooperation_type", "cooperation_type__label"),
    "theme": ("themes", "themes__label"),
    "organization_kind": ("organization__kind", None),
}
PERIODS = ("year", "quarter")
BREAKDOWNS = (*DIMENSIONS, *PERIODS)
TIME_TO_MATCH_GROUPS = ("all", "cooperation_type", "un_group", "year", "quarter")
# The date each table is counted by, for the period filter and the year and quarter breakdowns.
DATE_FIELDS = {"posting": "published_at", "match": "created_at", "outcome": "achieved_on"}


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers and for whom: the period (inclusive dates), a framework code, and the
    user asking, who decides which private outcomes count (None is the public)."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    framework: str | None = None
    user: object = None

    def __post_init__(self):
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError({"date_to": _("The end of the period must not be before its start.")})


# --------------------------------------------------------------------------- what counts


def _user(filters):
    return filters.user if filters.user is not None else AnonymousUser()


def _q(prefix, **lookups):
    """A Q object whose lookups start at `prefix` (a relation path ending in `__`, or "")."""
    return Q(**{prefix + lookup: value for lookup, value in lookups.items()})


def _in_period(prefix, lookup, filters):
    """Rows whose date (`lookup`, a date or a datetime's `__date`) falls in the period."""
    q = Q()
    if filters.date_from:
        q &= _q(prefix, **{f"{lookup}__gte": filters.date_from})
    if filters.date_to:
        q &= _q(prefix, **{f"{lookup}__lte": filters.date_to})
    return q


def _postings_serving(framework):
    return Opportunity.objectives.through.objects.filter(objective__framework__code=framework).values(
        "opportunity_id"
    )


def posting_scope(filters, prefix=""):
    """Postings that count: published and approved (never drafts, postings waiting for approval or
    hidden ones), published in the period, serving the framework."""
    q = _q(prefix, status__in=PUBLIC_STATUSES, moderation=Moderation.APPROVED, published_at__isnull=False)
    q &= _in_period(prefix, "published_at__date", filters)
    if filters.framework:
        q &= _q(prefix, pk__in=_postings_serving(filters.framework))
    return q


def open_now(prefix=""):
    """Postings open today: open and approved, not ended, application deadline not passed (as
    `Opportunity.objects.live()`)."""
    today = timezone.localdate()
    return (
        _q(prefix, status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED)
        & (_q(prefix, ends_on__isnull=True) | _q(prefix, ends_on__gte=today))
        & (_q(prefix, application_deadline__isnull=True) | _q(prefix, application_deadline__gte=today))
    )


def match_scope(filters, prefix=""):
    """Matches that count: between published and approved postings, made in the period, whose
    request or offer serves the framework."""
    q = _q(
        prefix,
        request__status__in=PUBLIC_STATUSES,
        offer__status__in=PUBLIC_STATUSES,
        request__moderation=Moderation.APPROVED,
        offer__moderation=Moderation.APPROVED,
    )
    q &= _in_period(prefix, "created_at__date", filters)
    if filters.framework:
        serving = _postings_serving(filters.framework)
        q &= _q(prefix, request__in=serving) | _q(prefix, offer__in=serving)
    return q


def visible_outcomes(user, prefix=""):
    """The outcomes `Outcome.objects.visible_to(user)` shows: public ones, and private ones to staff
    and to members of the organizations involved."""
    if user.is_authenticated and user.is_staff:
        return Q()
    return _q(prefix, pk__in=Outcome.objects.visible_to(user).values("pk"))


def outcome_scope(filters, prefix=""):
    """Outcomes that count: visible to the user, achieved in the period, serving the framework."""
    q = visible_outcomes(_user(filters), prefix) & _in_period(prefix, "achieved_on", filters)
    if filters.framework:
        serving = Outcome.objectives.through.objects.filter(objective__framework__code=filters.framework)
        q &= _q(prefix, pk__in=serving.values("outcome_id"))
    return q


# --------------------------------------------------------------------------- figures


def _posting_figures(filters, prefix=""):
    """Aggregates over the postings at `prefix`: published offers and requests, and those open now."""
    scope = posting_scope(filters, prefix)
    offer, request, live = (
        _q(prefix, direction=Direction.OFFER),
        _q(prefix, direction=Direction.REQUEST),
        open_now(prefix),
    )
    pk = prefix + "id"
    return {
        "offers": Count(pk, filter=scope & offer, distinct=True),
        "requests": Count(pk, filter=scope & request, distinct=True),
        "open_offers": Count(pk, filter=scope & offer & live, distinct=True),
        "open_requests": Count(pk, filter=scope & request & live, distinct=True),
    }


def _match_figures(filters, *prefixes):
    """Aggregates over the matches at `prefixes`, counting each match once; several prefixes reach
    matches by different paths, of which each joined row has at most one (a posting is either an
    offer or a request), so the first non-null id is the match's."""
    if len(prefixes) == 1:
        match_id = F(prefixes[0] + "id")
    else:
        match_id = Coalesce(*(F(prefix + "id") for prefix in prefixes))

    def count(**lookups):
        scope = Q()
        for prefix in prefixes:
            scope |= match_scope(filters, prefix) & _q(prefix, **lookups)
        return Count(match_id, filter=scope, distinct=True)

    figures = {"matches_total": count()}
    for status in MatchStatus.values:
        figures[f"matches_{status}"] = count(status=status)
    return figures


def _outcome_figures(filters, prefix=""):
    """Aggregates over the outcomes at `prefix`: how many, and the total of each indicator."""
    scope = outcome_scope(filters, prefix)
    figures = {"outcome_count": Count(prefix + "id", filter=scope, distinct=True)}
    for key in TOTALLED_INDICATORS:
        figures[f"indicator_{key}"] = Sum(
            prefix + "indicators__value", filter=scope & _q(prefix, indicators__key=key)
        )
    return figures


def _number(value):
    """A total as a plain number: 0 for none, an int where it is whole."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _postings(row):
    return {key: row.get(key, 0) for key in ("offers", "requests", "open_offers", "open_requests")}


def _matches(row):
    return {
        "total": row.get("matches_total", 0),
        **{status: row.get(f"matches_{status}", 0) for status in MatchStatus.values},
    }


def _indicators(row):
    return {key: _number(row.get(f"indicator_{key}")) for key in TOTALLED_INDICATORS}


def _objective_title(title, text):
    return title or (text if len(text) <= 90 else text[:87] + "...")


# --------------------------------------------------------------------------- reports


def summary(filters):
    """The key numbers, in one dict: postings, matches, outcomes and indicator totals, and the
    countries whose requests reached an accepted match."""
    postings = Opportunity.objects.aggregate(**_posting_figures(filters))
    helped = match_scope(filters) & Q(status__in=CAPACITY_HOLDING_STATUSES)
    matches = Match.objects.aggregate(
        **_match_figures(filters, ""),
        countries_helped=Count("request__organization__country", filter=helped, distinct=True),
    )
    outcomes = Outcome.objects.aggregate(**_outcome_figures(filters))
    return {
        **_postings(postings),
        "matches": _matches(matches),
        "countries_helped": matches["countries_helped"],
        "outcomes": outcomes["outcome_count"],
        "indicators": _indicators(outcomes),
    }


def _objective_rows(filters):
    rows = Objective.objects.order_by("framework__position", "position", "code")
    if filters.framework:
        rows = rows.filter(framework__code=filters.framework)
    return rows


def objectives(filters):
    """Per objective (with its framework and goal): postings, matches by status, outcomes and
    indicator totals. A posting or outcome serving several objectives counts under each; a match
    counts under the objectives of its request and of its offer, once under each."""
    unframed = replace(filters, framework=None)  # the objectives are already those of the framework
    figures = (
        _objective_rows(filters)
        .values("id", "code", "title", "text", "framework__code", "goal__code", "goal__title")
        .annotate(
            **_posting_figures(unframed, "opportunities__"),
            **_match_figures(unframed, "opportunities__request_matches__", "opportunities__offer_matches__"),
        )
    )
    outcomes = {
        row["id"]: row
        for row in _objective_rows(filters).values("id").annotate(**_outcome_figures(unframed, "outcomes__"))
    }
    return [
        {
            "framework": row["framework__code"],
            "goal": row["goal__code"],
            "goal_title": row["goal__title"],
            "objective": row["code"],
            "title": _objective_title(row["title"], row["text"]),
            **_postings(row),
            "matches": _matches(row),
            "outcomes": outcomes[row["id"]]["outcome_count"],
            "indicators": _indicators(outcomes[row["id"]]),
        }
        for row in figures
    ]


def _quarter(value):
    return f"{value.year}-Q{(value.month - 1) // 3 + 1}"


def _period_keys(first, last, by):
    """Every year or quarter from `first` to `last` (keys as the breakdown makes them)."""
    if by == "year":
        return list(range(first, last + 1))
    year, quarter = int(first[:4]), int(first[-1])
    keys = []
    while True:
        key = f"{year}-Q{quarter}"
        keys.append(key)
        if key == last:
            return keys
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def _group(by, table, side="request"):
    """The key and label expressions of the `by` dimension, for a table: `posting`, `match` or
    `outcome` (matches and outcomes are grouped by their request's or offer's `side`)."""
    if by in PERIODS:
        function = ExtractYear if by == "year" else TruncQuarter
        return function(DATE_FIELDS[table]), None
    prefix = {"posting": "", "match": f"{side}__", "outcome": f"match__{side}__"}[table]
    key, label = DIMENSIONS[by]
    return F(prefix + key), (F(prefix + label) if label else None)


def _grouped(queryset, by, table, side, figures):
    key, label = _group(by, table, side)
    fields = {"key": key} if label is None else {"key": key, "label": label}
    rows = queryset.values(**fields).annotate(**figures).order_by()
    if by == "quarter":
        return [{**row, "key": row["key"] and _quarter(row["key"])} for row in rows]
    return list(rows)


def _label(by, key, label):
    if key is None:
        return str(_("(none)"))
    if by == "organization_kind":
        return str(OrganizationKind(key).label)
    return str(label if label is not None else key)


def breakdown(filters, by, side="request"):
    """Postings, matches, outcomes and indicator totals per `by` (one of BREAKDOWNS): a posting by
    its own organization, cooperation type, themes and publication date; a match and an outcome by
    their request's (or, with side="offer", their offer's), and by their creation and achievement
    dates. Years and quarters come in order with none missing; other groups by label."""
    tables = [
        _grouped(
            Opportunity.objects.filter(posting_scope(filters)), by, "posting", side, _posting_figures(filters)
        ),
        _grouped(Match.objects.filter(match_scope(filters)), by, "match", side, _match_figures(filters, "")),
        _grouped(
            Outcome.objects.filter(outcome_scope(filters)), by, "outcome", side, _outcome_figures(filters)
        ),
    ]
    merged = {}
    for rows in tables:
        for row in rows:
            merged.setdefault(row["key"], {}).update(row)
    if by in PERIODS:
        keys = _period_keys(min(merged), max(merged), by) if merged else []
    else:
        keys = sorted(merged, key=lambda k: (k is None, _label(by, k, merged[k].get("label"))))
    results = []
    for key in keys:
        row = merged.get(key, {})
        figures = {
            **_postings(row),
            "matches": _matches(row),
            "outcomes": row.get("outcome_count", 0),
            "indicators": _indicators(row),
        }
        counted = (
            figures["offers"] or figures["requests"] or figures["matches"]["total"] or figures["outcomes"]
        )
        if counted or by in PERIODS:
            results.append({"key": key, "label": _label(by, key, row.get("label")), **figures})
    return results


# --------------------------------------------------------------------------- gaps


def _requests_without_offers(filters, prefix):
    """Open requests published in the period, and open offers whatever their publication date."""
    any_date = replace(filters, date_from=None, date_to=None)
    return {
        "open_requests": _posting_figures(filters, prefix)["open_requests"],
        "open_offers": _posting_figures(any_date, prefix)["open_offers"],
    }


def uncovered_objectives(filters):
    """Objectives with open requests (published in the period) and no open offer, most requested
    first."""
    unframed = replace(filters, framework=None)
    rows = (
        _objective_rows(filters)
        .values("code", "title", "text", "framework__code", "goal__code")
        .annotate(**_requests_without_offers(unframed, "opportunities__"))
        .filter(open_requests__gt=0, open_offers=0)
        .order_by("-open_requests", "framework__position", "position", "code")
    )
    return [
        {
            "framework": row["framework__code"],
            "goal": row["goal__code"],
            "objective": row["code"],
            "title": _objective_title(row["title"], row["text"]),
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
    return Opportunity.objects.filter(posting_scope(filters), open_now(), direction=Direction.REQUEST)


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
        Opportunity.objects.filter(posting_scope(filters), direction=Direction.REQUEST)
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
            "label": _label(by, row["key"], row["label"]),
            "requests": row["requests"],
            "open_requests": row["open_requests"],
            "without_interest": row["without_interest"],
            "share_without_interest": round(row["without_interest"] / row["open_requests"], 3),
            "oldest_without_interest": row["oldest_without_interest"],
        }
        for row in rows
    ]


# --------------------------------------------------------------------------- time to match


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
        Opportunity.objects.filter(posting_scope(filters), direction=Direction.REQUEST)
        .annotate(
            first_interest=Min("request_matches__created_at"),
            first_accepted=Min("request_matches__events__created_at", filter=accepted),
        )
        .order_by()
    )
    if by == "all":
        rows = rows.annotate(group_key=Value("all"), group_label=Value(str(_("All requests"))))
    else:
        key, label = _group(by, "posting")
        rows = rows.annotate(group_key=key, group_label=label or Value(None, CharField()))
    groups = {}
    for published_at, interest, accepted_at, key, label in rows.values_list(
        "published_at", "first_interest", "first_accepted", "group_key", "group_label"
    ):
        key = _quarter(key) if by == "quarter" else key
        group = groups.setdefault(key, {"label": label, "interest": [], "acceptance": []})
        group["interest"].append(_days(published_at, interest))
        group["acceptance"].append(_days(published_at, accepted_at))
    if by in PERIODS:
        keys = _period_keys(min(groups), max(groups), by) if groups else []
    else:
        keys = sorted(groups, key=lambda k: (k is None, _label(by, k, groups[k]["label"])))
    results = []
    for key in keys:
        group = groups.get(key, {"label": None, "interest": [], "acceptance": []})
        results.append(
            {
                "key": key,
                "label": _label(by, key, group["label"]),
                "requests": len(group["interest"]),
                "with_interest": sum(d is not None for d in group["interest"]),
                "with_acceptance": sum(d is not None for d in group["acceptance"]),
                "days_to_interest": _spread(group["interest"]),
                "days_to_acceptance": _spread(group["acceptance"]),
            }
        )
    return results


# --------------------------------------------------------------------------- drill-down and exports


def _serving(objective, field="pk"):
    """Lookup: the postings (at `field`) that serve the objective with this code."""
    through = Opportunity.objectives.through.objects.filter(objective__code=objective)
    return {f"{field}__in": through.values("opportunity_id")}


def _region(prefix, un_group, country):
    q = Q()
    if un_group:
        q &= _q(prefix, organization__country__un_group=un_group)
    if country:
        q &= _q(prefix, organization__country=country)
    return q


def postings(
    filters, *, objective=None, direction=None, status=None, live=False, un_group=None, country=None
):
    """The postings the user may see (drafts only their organization's), published in the period,
    serving the framework and the objective; `live` keeps those open now."""
    rows = Opportunity.objects.visible_to(_user(filters)).filter(
        _in_period("", "published_at__date", filters), _region("", un_group, country)
    )
    if filters.framework:
        rows = rows.filter(pk__in=_postings_serving(filters.framework))
    if objective:
        rows = rows.filter(**_serving(objective))
    if direction:
        rows = rows.filter(direction=direction)
    if status:
        rows = rows.filter(status=status)
    if live:
        rows = rows.filter(open_now())
    return rows.order_by("published_at", "id")


def matches(filters, *, objective=None, status=None, un_group=None, country=None):
    """The matches the user may see (those of their organizations; all for staff), made in the
    period, whose request or offer serves the framework and the objective; `un_group` and `country`
    are the requesting organization's."""
    rows = Match.objects.visible_to(_user(filters)).filter(
        match_scope(filters), _region("request__", un_group, country)
    )
    if objective:
        rows = rows.filter(Q(**_serving(objective, "request")) | Q(**_serving(objective, "offer")))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("created_at", "id")


def outcomes(filters, *, objective=None, un_group=None, country=None):
    """The outcomes that count for the user, serving the framework and the objective; `un_group`
    and `country` are the requesting organization's."""
    rows = Outcome.objects.filter(outcome_scope(filters), _region("match__request__", un_group, country))
    if objective:
        served = Outcome.objectives.through.objects.filter(objective__code=objective)
        rows = rows.filter(pk__in=served.values("outcome_id"))
    return rows.order_by("achieved_on", "id")


def drilldown(filters, objective, limit=50):
    """What is behind an objective's figures: its open offers and requests, and its outcomes (the
    first `limit` of each, oldest first)."""
    fields = ("id", "title", "published_at", "organization__name", "organization__country")
    return {
        "open_offers": list(
            postings(filters, objective=objective, direction=Direction.OFFER, live=True).values(*fields)[
                :limit
            ]
        ),
        "open_requests": list(
            postings(filters, objective=objective, direction=Direction.REQUEST, live=True).values(*fields)[
                :limit
            ]
        ),
        "outcomes": list(
            outcomes(filters, objective=objective).values(
                "id",
                "summary",
                "achieved_on",
                "match__request__title",
                "match__request__organization__name",
                "match__offer__organization__name",
            )[:limit]
        ),
    }


POSTING_COLUMNS = [
    "id", "direction", "status", "title", "organization", "organization_kind", "country", "un_group",
    "cooperation_type", "themes", "objectives", "capacity", "published_at", "starts_on", "ends_on",
    "application_deadline",
]  # fmt: skip
MATCH_COLUMNS = [
    "id", "status", "created_at", "accepted_at", "score", "cooperation_type", "request_id", "request_title",
    "request_organization", "request_country", "request_un_group", "offer_id", "offer_title",
    "offer_organization", "offer_country", "outcome_id",
]  # fmt: skip
OUTCOME_COLUMNS = [
    "id", "achieved_on", "summary", "evidence_url", "is_private", "match_id", "cooperation_type",
    "request_id", "request_organization", "request_country", "request_un_group", "offer_id",
    "offer_organization", "offer_country", "objectives", *TOTALLED_INDICATORS, "other_indicators",
]  # fmt: skip
CHUNK_SIZE = 1000


def _codes(rows):
    return " ".join(str(row.pk) if not hasattr(row, "code") else row.code for row in rows)


def posting_rows(filters, **drill):
    """The export of `postings()`: the header, then one list per posting, read in chunks."""
    yield POSTING_COLUMNS
    rows = (
        postings(filters, **drill)
        .select_related("organization__country", "cooperation_type")
        .defer("description")
        .prefetch_related(
            Prefetch("themes", Theme.objects.only("slug")),
            Prefetch("objectives", Objective.objects.only("code")),
        )
    )
    for posting in rows.iterator(chunk_size=CHUNK_SIZE):
        organization = posting.organization
        yield [
            posting.pk, posting.direction, posting.status, posting.title, organization.name, organization.kind,
            organization.country_id, organization.country.un_group_id, posting.cooperation_type_id,
            _codes(posting.themes.all()), _codes(posting.objectives.all()), posting.capacity,
            posting.published_at, posting.starts_on, posting.ends_on, posting.application_deadline,
        ]  # fmt: skip


def match_rows(filters, **drill):
    """The export of `matches()`: the header, then one list per match, read in chunks."""
    yield MATCH_COLUMNS
    accepted = MatchEvent.objects.filter(match=OuterRef("pk"), to_status=MatchStatus.ACCEPTED).order_by(
        "created_at"
    )
    rows = (
        matches(filters, **drill)
        .annotate(accepted_at=Subquery(accepted.values("created_at")[:1]))
        .values_list(
            "id",
            "status",
            "created_at",
            "accepted_at",
            "score",
            "request__cooperation_type",
            "request_id",
            "request__title",
            "request__organization__name",
            "request__organization__country",
            "request__organization__country__un_group",
            "offer_id",
            "offer__title",
            "offer__organization__name",
            "offer__organization__country",
            "outcome__id",
        )  # fmt: skip
    )
    yield from rows.iterator(chunk_size=CHUNK_SIZE)


def outcome_rows(filters, **drill):
    """The export of `outcomes()`: the header, then one list per outcome with its indicator totals,
    read in chunks."""
    yield OUTCOME_COLUMNS
    rows = (
        outcomes(filters, **drill)
        .select_related("match__request__organization__country", "match__offer__organization")
        .prefetch_related(Prefetch("objectives", Objective.objects.only("code")), "indicators")
    )
    for outcome in rows.iterator(chunk_size=CHUNK_SIZE):
        request, offer = outcome.match.request, outcome.match.offer
        totals = dict.fromkeys(TOTALLED_INDICATORS, 0)
        others = []
        for indicator in outcome.indicators.all():
            if indicator.key in totals:
                totals[indicator.key] += indicator.value
            else:
                others.append(f"{indicator.label}: {_number(indicator.value)} {indicator.unit}".strip())
        yield [
            outcome.pk, outcome.achieved_on, outcome.summary, outcome.evidence_url, outcome.is_private,
            outcome.match_id, request.cooperation_type_id, request.pk, request.organization.name,
            request.organization.country_id, request.organization.country.un_group_id, offer.pk,
            offer.organization.name, offer.organization.country_id, _codes(outcome.objectives.all()),
            *(_number(totals[key]) for key in TOTALLED_INDICATORS), "; ".join(others),
        ]  # fmt: skip
