"""What the reports count, and how they group it: opportunities that were published and approved,
matches between them, outcomes the user may see, each bounded by the period on its own date."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import F, Q, Value
from django.db.models.functions import ExtractYear, NullIf, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import (
    Indicator,
    Level,
    Moderation,
    OpportunityStatus,
    OrganizationKind,
)
from matchmaking.models import (
    Opportunity,
    Outcome,
)
from matchmaking.models.reference import local_fields, short

# `other` adds up values of different units, so it is never totalled.
TOTALLED_INDICATORS = [key for key in Indicator.values if key != Indicator.OTHER]
PUBLIC_STATUSES = (OpportunityStatus.OPEN, OpportunityStatus.CLOSED)

# Breakdown dimensions: the path from an opportunity to the key and to its label.
DIMENSIONS = {
    "un_group": ("organization__country__un_group", "organization__country__un_group__name"),
    "country": ("organization__country", "organization__country__name"),
    "cooperation_type": ("cooperation_type", "cooperation_type__label"),
    "theme": ("themes", "themes__label"),
    "organization_kind": ("organization__kind", None),
    "level": ("level", None),
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


def user_of(filters):
    return filters.user if filters.user is not None else AnonymousUser()


def prefixed(prefix, **lookups):
    """A Q object whose lookups start at `prefix` (a relation path ending in `__`, or "")."""
    return Q(**{prefix + lookup: value for lookup, value in lookups.items()})


def in_period(prefix, lookup, filters):
    """Rows whose date (`lookup`, a date or a datetime's `__date`) falls in the period."""
    q = Q()
    if filters.date_from:
        q &= prefixed(prefix, **{f"{lookup}__gte": filters.date_from})
    if filters.date_to:
        q &= prefixed(prefix, **{f"{lookup}__lte": filters.date_to})
    return q


def opportunities_serving(framework):
    return Opportunity.objectives.through.objects.filter(objective__framework__code=framework).values(
        "opportunity_id"
    )


def opportunity_scope(filters, prefix=""):
    """Opportunities that count: published and approved (never drafts, opportunities waiting for approval or
    hidden ones), published in the period, serving the framework."""
    q = prefixed(
        prefix, status__in=PUBLIC_STATUSES, moderation=Moderation.APPROVED, published_at__isnull=False
    )
    q &= in_period(prefix, "published_at__date", filters)
    if filters.framework:
        q &= prefixed(prefix, pk__in=opportunities_serving(filters.framework))
    return q


def open_now(prefix=""):
    """Opportunities open today: open and approved, not ended, application deadline not passed (as
    `Opportunity.objects.live()`)."""
    today = timezone.localdate()
    return (
        prefixed(prefix, status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED)
        & (prefixed(prefix, ends_on__isnull=True) | prefixed(prefix, ends_on__gte=today))
        & (
            prefixed(prefix, application_deadline__isnull=True)
            | prefixed(prefix, application_deadline__gte=today)
        )
    )


def match_scope(filters, prefix=""):
    """Matches that count: between published and approved opportunities, made in the period, whose
    request or offer serves the framework."""
    q = prefixed(
        prefix,
        request__status__in=PUBLIC_STATUSES,
        offer__status__in=PUBLIC_STATUSES,
        request__moderation=Moderation.APPROVED,
        offer__moderation=Moderation.APPROVED,
    )
    q &= in_period(prefix, "created_at__date", filters)
    if filters.framework:
        serving = opportunities_serving(filters.framework)
        q &= prefixed(prefix, request__in=serving) | prefixed(prefix, offer__in=serving)
    return q


def visible_outcomes(user, prefix=""):
    """The outcomes `Outcome.objects.visible_to(user)` shows: public ones, and private ones to staff
    and to members of the organizations involved."""
    if user.is_authenticated and user.is_staff:
        return Q()
    return prefixed(prefix, pk__in=Outcome.objects.visible_to(user).values("pk"))


def outcome_scope(filters, prefix=""):
    """Outcomes that count: visible to the user, achieved in the period, serving the framework."""
    q = visible_outcomes(user_of(filters), prefix) & in_period(prefix, "achieved_on", filters)
    if filters.framework:
        serving = Outcome.objectives.through.objects.filter(objective__framework__code=filters.framework)
        q &= prefixed(prefix, pk__in=serving.values("outcome_id"))
    return q


def number(value):
    """A total as a plain number: 0 for none, an int where it is whole."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def goal_title(row):
    """The title of an objective's goal, read with `.values("goal__title", "goal__translations")`."""
    if row["goal__title"] is None:
        return None
    return local_fields(row["goal__translations"]).get("title") or row["goal__title"]


def objective_title(row):
    """The short title of an objective read with `.values("title", "text", "translations")`, in the
    reader's language."""
    local = local_fields(row["translations"])
    return short(local.get("title") or row["title"], local.get("text") or row["text"])


def quarter_of(value):
    return f"{value.year}-Q{(value.month - 1) // 3 + 1}"


def period_keys(first, last, by):
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


def group_expressions(by, table, side="request"):
    """The key and label expressions of the `by` dimension, for a table: `opportunity`, `match` or
    `outcome` (matches and outcomes are grouped by their request's or offer's `side`)."""
    if by in PERIODS:
        function = ExtractYear if by == "year" else TruncQuarter
        return function(DATE_FIELDS[table]), None
    prefix = {"posting": "", "match": f"{side}__", "outcome": f"match__{side}__"}[table]
    key, label = DIMENSIONS[by]
    if by == "level":  # not given: "" in the row, no level (None) in the report
        return NullIf(F(prefix + key), Value("")), None
    return F(prefix + key), (F(prefix + label) if label else None)


def grouped(queryset, by, table, side, figures):
    key, label = group_expressions(by, table, side)
    fields = {"key": key} if label is None else {"key": key, "label": label}
    rows = queryset.values(**fields).annotate(**figures).order_by()
    if by == "quarter":
        return [{**row, "key": row["key"] and quarter_of(row["key"])} for row in rows]
    return list(rows)


def group_label(by, key, label):
    if key is None:
        return str(_("(none)"))
    if by == "organization_kind":
        return str(OrganizationKind(key).label)
    if by == "level":
        return str(Level(key).label)
    return str(label if label is not None else key)
