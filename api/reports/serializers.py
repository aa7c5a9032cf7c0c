"""The query parameters of the reports, and their rows."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema_field,
)
from rest_framework import serializers

from matchmaking.choices import Direction, GroupKind, Indicator, Level, MatchStatus, OpportunityStatus
from matchmaking.models import Country, CountryGroup, Framework, Objective
from matchmaking.reports import base

FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="`csv` for a CSV file; JSON by default."
)
CSV_FORMAT_PARAMETER = OpenApiParameter("format", str, enum=["csv"], description="Always CSV.")


class ReportQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(
        required=False,
        help_text="Start of the period (inclusive). Postings count by publication date, matches by "
        "creation date, outcomes by achievement date.",
    )
    date_to = serializers.DateField(required=False, help_text="End of the period (inclusive).")
    framework = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Framework.objects.all(),
        required=False,
        help_text="Only what serves this framework (its code, such as CHM-2010 or GBF).",
    )

    def filters(self, user):
        """The validated query as ReportFilters (which check the period), and the other parameters."""
        params = dict(self.validated_data)
        framework = params.pop("framework", None)
        filters = base.ReportFilters(
            date_from=params.pop("date_from", None),
            date_to=params.pop("date_to", None),
            framework=framework.code if framework else None,
            user=user,
        )
        return filters, params


class BreakdownQuerySerializer(ReportQuerySerializer):
    by = serializers.ChoiceField(choices=base.BREAKDOWNS, default="un_group", help_text="What to group by.")
    side = serializers.ChoiceField(
        choices=["request", "offer"],
        default="request",
        help_text="Group matches and outcomes by their request's organization, type and themes, or their offer's.",
    )


class TimeToMatchQuerySerializer(ReportQuerySerializer):
    by = serializers.ChoiceField(
        choices=base.TIME_TO_MATCH_GROUPS, default="all", help_text="What to group by."
    )


class RegionGapQuerySerializer(ReportQuerySerializer):
    by = serializers.ChoiceField(
        choices=["un_group", "country"], default="un_group", help_text="What to group by."
    )


class UnansweredQuerySerializer(ReportQuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=20, help_text="How many requests.")


class DrillDownQuerySerializer(ReportQuerySerializer):
    objective = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Objective.objects.all(),
        required=False,
        help_text="Only what serves this objective (its code, such as 1.1): the rows behind its figures.",
    )
    un_group = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CountryGroup.objects.filter(kind=GroupKind.UN_REGION),
        required=False,
        help_text="The UN regional group of the (requesting) organization.",
    )
    country = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Country.objects.all(),
        required=False,
        help_text="The country (ISO 3166-1 alpha-2) of the (requesting) organization.",
    )

    def filters(self, user):
        filters, params = super().filters(user)
        return filters, {name: getattr(value, "code", value) for name, value in params.items()}


class PostingExportQuerySerializer(DrillDownQuerySerializer):
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    status = serializers.ChoiceField(choices=OpportunityStatus.choices, required=False)
    live = serializers.BooleanField(
        default=False, help_text="Only postings open now: open, not ended, deadline not passed."
    )


class MatchExportQuerySerializer(DrillDownQuerySerializer):
    status = serializers.ChoiceField(choices=MatchStatus.choices, required=False)


# --------------------------------------------------------------------------- rows


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A number as the report computed it: an integer where it is whole."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return value


def counts_serializer(name, names, help_texts):
    return type(
        name, (serializers.Serializer,), {key: NumberField(help_text=help_texts[key]) for key in names}
    )


MatchCountsSerializer = counts_serializer(
    "MatchCountsSerializer",
    ["total", *MatchStatus.values],
    {
        "total": "All matches",
        **{status: f"Matches now {label.lower()}" for status, label in MatchStatus.choices},
    },
)
IndicatorTotalsSerializer = counts_serializer(
    "IndicatorTotalsSerializer", base.TOTALLED_INDICATORS, dict(Indicator.choices)
)


class FiguresSerializer(serializers.Serializer):
    offers = serializers.IntegerField(help_text="Offers published in the period.")
    requests = serializers.IntegerField(help_text="Requests published in the period.")
    open_offers = serializers.IntegerField(help_text="Of those, offers open now.")
    open_requests = serializers.IntegerField(help_text="Of those, requests open now.")
    matches = MatchCountsSerializer(help_text="Matches made in the period, by their status now.")
    outcomes = serializers.IntegerField(help_text="Outcomes achieved in the period.")
    indicators = IndicatorTotalsSerializer(help_text="Totals of the indicators of those outcomes.")


class SummarySerializer(FiguresSerializer):
    countries_helped = serializers.IntegerField(
        help_text="Countries whose requests have a match accepted, in progress or completed."
    )


class ObjectiveColumns(serializers.Serializer):
    framework = serializers.CharField()
    goal = serializers.CharField(allow_null=True)
    goal_title = serializers.CharField(allow_null=True)
    objective = serializers.CharField(help_text="The objective's or target's code.")
    title = serializers.CharField()


class GroupColumns(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="The group's code, year or quarter (2025-Q1).")
    label = serializers.CharField()


# The columns that name the row come first (DRF puts the fields of the first base first).
class ObjectiveRowSerializer(ObjectiveColumns, FiguresSerializer):
    pass


class BreakdownRowSerializer(GroupColumns, FiguresSerializer):
    pass


class ObjectiveGapSerializer(serializers.Serializer):
    framework = serializers.CharField()
    goal = serializers.CharField(allow_null=True)
    objective = serializers.CharField()
    title = serializers.CharField()
    open_requests = serializers.IntegerField()


class ThemeGapSerializer(serializers.Serializer):
    theme = serializers.CharField()
    label = serializers.CharField()
    open_requests = serializers.IntegerField()


class UnansweredRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    organization_name = serializers.CharField()
    country = serializers.CharField()
    un_group = serializers.CharField(allow_null=True)
    cooperation_type = serializers.CharField()
    cooperation_type_label = serializers.CharField()
    published_at = serializers.DateTimeField()
    days_open = serializers.IntegerField()


class RegionGapSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    requests = serializers.IntegerField(help_text="Requests published in the period.")
    open_requests = serializers.IntegerField(help_text="Of those, requests open now.")
    without_interest = serializers.IntegerField(help_text="Open requests without any expression of interest.")
    share_without_interest = serializers.FloatField(help_text="without_interest / open_requests.")
    oldest_without_interest = serializers.DateTimeField(
        allow_null=True, help_text="Publication of the oldest of them."
    )


class SpreadSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True, help_text="90th percentile.")


class TimeToMatchSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    requests = serializers.IntegerField(help_text="Requests published in the period.")
    with_interest = serializers.IntegerField(help_text="Of those, requests with an expression of interest.")
    with_acceptance = serializers.IntegerField(help_text="Of those, requests with an accepted match.")
    days_to_interest = SpreadSerializer(
        help_text="Days from publication to the first expression of interest."
    )
    days_to_acceptance = SpreadSerializer(help_text="Days from publication to the first accepted match.")
    proposals = serializers.IntegerField(help_text="Proposals (matches) made on those requests.")
    expired = serializers.IntegerField(
        help_text="Of those, proposals that expired without an answer (after PROPOSAL_EXPIRY_DAYS)."
    )
    share_expired = serializers.FloatField(
        allow_null=True, help_text="expired / proposals; null without proposals."
    )
    days_to_answer = SpreadSerializer(
        help_text="Time to first answer: days from a proposal to its acceptance or decline."
    )


class LevelColumns(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=Level.choices, allow_null=True, help_text="national, regional or global; null: not given."
    )
    label = serializers.CharField()


class NeedsByLevelSerializer(LevelColumns):
    requests = serializers.IntegerField(help_text="Requests published in the period.")
    offers = serializers.IntegerField(help_text="Offers published in the period.")
    requests_with_budget = serializers.IntegerField(help_text="Of those requests, the ones giving a budget.")
    offers_with_budget = serializers.IntegerField(
        help_text="Of those offers, the ones giving a budget per partner."
    )
    requests_with_cofinancing = serializers.IntegerField(help_text="Requests bringing co-financing.")
    requests_counting_beneficiaries = serializers.IntegerField(help_text="Requests saying how many benefit.")
    beneficiaries = NumberField(help_text="The beneficiaries those requests count, added up.")


class BudgetRowSerializer(LevelColumns):
    currency = serializers.CharField(help_text="ISO 4217: amounts in different currencies are never added.")
    requests_with_budget = serializers.IntegerField(help_text="Requests giving a budget in this currency.")
    requested_from = NumberField(
        help_text="Their budgets added up, from (a budget with one bound counts it at both ends)."
    )
    requested_to = NumberField(help_text="Their budgets added up, to.")
    offers_with_budget = serializers.IntegerField(
        help_text="Offers giving a budget per partner in this currency."
    )
    offered_from = NumberField(
        help_text="What they offer added up (budget per partner times capacity), from."
    )
    offered_to = NumberField(help_text="What they offer added up, to.")
    requests_with_cofinancing_amount = serializers.IntegerField(
        help_text="Requests giving an amount of co-financing in this currency."
    )
    cofinancing = NumberField(help_text="That co-financing added up.")
