"""Drill-down behind an objective, and the rows of the CSV exports."""

from django.db.models import OuterRef, Prefetch, Q, Subquery

from matchmaking.choices import (
    Direction,
    MatchStatus,
)
from matchmaking.models import (
    Match,
    MatchEvent,
    Objective,
    Opportunity,
    Outcome,
    Theme,
)

from .base import (
    TOTALLED_INDICATORS,
    in_period,
    match_scope,
    number,
    open_now,
    opportunities_serving,
    outcome_scope,
    prefixed,
    user_of,
)


def _serving(objective, field="pk"):
    """Lookup: the opportunities (at `field`) that serve the objective with this code."""
    through = Opportunity.objectives.through.objects.filter(objective__code=objective)
    return {f"{field}__in": through.values("opportunity_id")}


def _region(prefix, un_group, country):
    q = Q()
    if un_group:
        q &= prefixed(prefix, organization__country__un_group=un_group)
    if country:
        q &= prefixed(prefix, organization__country=country)
    return q


def opportunities(
    filters, *, objective=None, direction=None, status=None, live=False, un_group=None, country=None
):
    """The opportunities the user may see (drafts only their organization's), published in the period,
    serving the framework and the objective; `live` keeps those open now."""
    rows = Opportunity.objects.visible_to(user_of(filters)).filter(
        in_period("", "published_at__date", filters), _region("", un_group, country)
    )
    if filters.framework:
        rows = rows.filter(pk__in=opportunities_serving(filters.framework))
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
    rows = Match.objects.visible_to(user_of(filters)).filter(
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
            opportunities(filters, objective=objective, direction=Direction.OFFER, live=True).values(*fields)[
                :limit
            ]
        ),
        "open_requests": list(
            opportunities(filters, objective=objective, direction=Direction.REQUEST, live=True).values(
                *fields
            )[:limit]
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
    "application_deadline", "level", "budget_min", "budget_max", "budget_currency", "cofinancing",
    "cofinancing_amount", "beneficiaries", "beneficiaries_count", "duration_months", "expected_outputs", "covers",
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


def opportunity_rows(filters, **drill):
    """The export of `opportunities()`: the header, then one list per opportunity, read in chunks."""
    yield POSTING_COLUMNS
    rows = (
        opportunities(filters, **drill)
        .select_related("organization__country", "cooperation_type")
        .defer("description")
        .prefetch_related(
            Prefetch("themes", Theme.objects.only("slug")),
            Prefetch("objectives", Objective.objects.only("code")),
        )
    )
    for opportunity in rows.iterator(chunk_size=CHUNK_SIZE):
        organization = opportunity.organization
        yield [
            opportunity.pk, opportunity.direction, opportunity.status, opportunity.title, organization.name, organization.kind,
            organization.country_id, organization.country.un_group_id, opportunity.cooperation_type_id,
            _codes(opportunity.themes.all()), _codes(opportunity.objectives.all()), opportunity.capacity,
            opportunity.published_at, opportunity.starts_on, opportunity.ends_on, opportunity.application_deadline,
            opportunity.level, opportunity.budget_min, opportunity.budget_max, opportunity.budget_currency,
            opportunity.cofinancing, opportunity.cofinancing_amount, opportunity.beneficiaries,
            opportunity.beneficiaries_count, opportunity.duration_months, " ".join(opportunity.expected_outputs),
            " ".join(opportunity.covers),
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
                others.append(f"{indicator.label}: {number(indicator.value)} {indicator.unit}".strip())
        yield [
            outcome.pk, outcome.achieved_on, outcome.summary, outcome.evidence_url, outcome.is_private,
            outcome.match_id, request.cooperation_type_id, request.pk, request.organization.name,
            request.organization.country_id, request.organization.country.un_group_id, offer.pk,
            offer.organization.name, offer.organization.country_id, _codes(outcome.objectives.all()),
            *(number(totals[key]) for key in TOTALLED_INDICATORS), "; ".join(others),
        ]  # fmt: skip
