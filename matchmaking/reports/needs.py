"""What the structured needs of the postings add up to, per level: postings giving them, co-financing,
beneficiaries; and the budgets requested and offered per level and currency (amounts in different
currencies are never added together). One query groups the postings that count by level and
currency; both tables are read from its rows."""

from collections import defaultdict

from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Cast, Coalesce

from matchmaking.choices import Direction, Level
from matchmaking.models import Opportunity

from .base import group_label, number, opportunity_scope

REQUEST, OFFER = Q(direction=Direction.REQUEST), Q(direction=Direction.OFFER)
WITH_BUDGET = ~Q(budget_currency="") & (Q(budget_min__isnull=False) | Q(budget_max__isnull=False))
LEVEL_ORDER = {key: i for i, key in enumerate(Level.values)}
WHOLE = DecimalField(max_digits=40, decimal_places=0)
LEVEL_FIGURES = (
    "requests", "offers", "requests_with_budget", "offers_with_budget", "requests_with_cofinancing",
    "requests_counting_beneficiaries", "beneficiaries",
)  # fmt: skip
BUDGET_FIGURES = (
    "requests_with_budget", "requested_from", "requested_to", "offers_with_budget", "offered_from",
    "offered_to", "requests_with_cofinancing_amount", "cofinancing",
)  # fmt: skip


def _grouped(filters):
    """The figures of the postings that count (published and approved, in the period, serving the
    framework) per (level, currency); "" where either is not given. A budget given by one bound
    counts that bound at both ends; an offer's budget is per partner, so it offers that times its
    capacity."""
    low, high = Coalesce("budget_min", "budget_max"), Coalesce("budget_max", "budget_min")
    # times the capacity, as a decimal: a large budget times a large capacity overflows a bigint
    offered_low, offered_high = (Cast(bound, WHOLE) * F("capacity") for bound in (low, high))
    return (
        Opportunity.objects.filter(opportunity_scope(filters))
        .values("level", "budget_currency")
        .annotate(
            requests=Count("id", filter=REQUEST),
            offers=Count("id", filter=OFFER),
            requests_with_budget=Count("id", filter=REQUEST & WITH_BUDGET),
            offers_with_budget=Count("id", filter=OFFER & WITH_BUDGET),
            requests_with_cofinancing=Count("id", filter=REQUEST & Q(cofinancing=True)),
            requests_counting_beneficiaries=Count(
                "id", filter=REQUEST & Q(beneficiaries_count__isnull=False)
            ),
            beneficiaries=Sum("beneficiaries_count", filter=REQUEST),
            requested_from=Sum(low, filter=REQUEST),
            requested_to=Sum(high, filter=REQUEST),
            offered_from=Sum(offered_low, filter=OFFER),
            offered_to=Sum(offered_high, filter=OFFER),
            requests_with_cofinancing_amount=Count(
                "id", filter=REQUEST & Q(cofinancing_amount__isnull=False)
            ),
            cofinancing=Sum("cofinancing_amount", filter=REQUEST),
        )
        .order_by()
    )


def _level_columns(level):
    return {"level": level or None, "label": group_label("level", level or None, None)}


def _in_order(level):
    return LEVEL_ORDER.get(level, len(LEVEL_ORDER))  # levels in their order, "not given" last


def tables(filters):
    """(per level, budgets per level and currency), from one query: see `by_level` and `budgets`."""
    rows = list(_grouped(filters))
    levels = defaultdict(lambda: dict.fromkeys(LEVEL_FIGURES, 0))
    for row in rows:
        for name in LEVEL_FIGURES:
            levels[row["level"]][name] += row[name] or 0
    per_level = [
        {**_level_columns(level), **{name: number(value) for name, value in figures.items()}}
        for level, figures in sorted(levels.items(), key=lambda item: _in_order(item[0]))
    ]
    budgets = [
        {
            **_level_columns(row["level"]),
            "currency": row["budget_currency"],
            **{name: number(row[name]) for name in BUDGET_FIGURES},
        }
        for row in sorted(rows, key=lambda row: (_in_order(row["level"]), row["budget_currency"]))
        if row["requests_with_budget"] or row["offers_with_budget"] or row["requests_with_cofinancing_amount"]
    ]
    return per_level, budgets


def by_level(filters):
    """Per level (None: not given): requests and offers, those giving a budget, requests bringing
    co-financing, and the beneficiaries the requests count, added up."""
    return tables(filters)[0]


def budgets(filters):
    """Per level and currency, where postings give amounts in it: requests giving a budget and their
    budgets added up (from, to), offers giving one and what they offer added up (budget per partner
    times capacity), requests giving an amount of co-financing and its total."""
    return tables(filters)[1]
