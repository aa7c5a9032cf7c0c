"""The reports under /api/v1/reports/: JSON, or CSV with `?format=csv`; the exports of postings,
matches and outcomes stream as CSV, read from the database in chunks. The figures come from
`matchmaking.reports`; this module only reads the query, and serializes and renders the rows.
The figures are public; private outcomes count only for staff and members of the organizations
involved, and the exports list only what the user may see."""

import csv
import datetime
import io

from django.http import StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import renderers, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import validation_error
from matchmaking import reports
from matchmaking.choices import Direction, GroupKind, Indicator, MatchStatus, OpportunityStatus
from matchmaking.models import Country, CountryGroup, Framework, Objective

# --------------------------------------------------------------------------- CSV


def columns(serializer):
    """The CSV columns of a row serializer: its fields, nested ones as `<field>_<subfield>`."""
    names = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            names.extend(f"{name}_{sub}" for sub in columns(field))
        else:
            names.append(name)
    return names


def flatten(row, prefix=""):
    flat = {}
    for name, value in row.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}_"))
        else:
            flat[prefix + name] = "; ".join(map(str, value)) if isinstance(value, list) else value
    return flat


class CSVRenderer(renderers.BaseRenderer):
    """A report's `results` as CSV, one row per result, with the columns of the view's row
    serializer (so a report with no rows still has its header); other data (errors) as they come."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        if isinstance(data, dict) and "results" in data and getattr(view, "row_serializer", None):
            rows = data["results"] if isinstance(data["results"], list) else [data["results"]]
            header = columns(view.row_serializer())
        else:
            rows = [data]
            header = list(flatten(data))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            flat = flatten(row)
            writer.writerow([flat.get(name) for name in header])
        return out.getvalue()


class Echo:
    """A file that gives back what is written to it, for csv.writer in a streaming response."""

    def write(self, value):
        return value


def cell(value):
    if isinstance(value, datetime.date):  # and datetimes
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- queries


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
        filters = reports.ReportFilters(
            date_from=params.pop("date_from", None),
            date_to=params.pop("date_to", None),
            framework=framework.code if framework else None,
            user=user,
        )
        return filters, params


class BreakdownQuerySerializer(ReportQuerySerializer):
    by = serializers.ChoiceField(
        choices=reports.BREAKDOWNS, default="un_group", help_text="What to group by."
    )
    side = serializers.ChoiceField(
        choices=["request", "offer"],
        default="request",
        help_text="Group matches and outcomes by their request's organization, type and themes, or their offer's.",
    )


class TimeToMatchQuerySerializer(ReportQuerySerializer):
    by = serializers.ChoiceField(
        choices=reports.TIME_TO_MATCH_GROUPS, default="all", help_text="What to group by."
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
    "IndicatorTotalsSerializer", reports.TOTALLED_INDICATORS, dict(Indicator.choices)
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


# --------------------------------------------------------------------------- views


def report_schema(summary, description, row, query, many=True):
    name = row.__name__.removesuffix("Serializer")
    envelope = inline_serializer(
        f"{name}Report{'s' if many else ''}", {"results": row(many=many) if many else row()}
    )
    return extend_schema_view(
        get=extend_schema(
            tags=["reports"],
            summary=summary,
            description=description,
            parameters=[query, FORMAT_PARAMETER],
            responses={200: envelope, 400: validation_error("Invalid parameter: a message per parameter.")},
        )
    )


class ReportView(APIView):
    """A report as `{"results": ...}` in JSON, or CSV with `?format=csv`."""

    permission_classes = [AllowAny]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    query_serializer = ReportQuerySerializer
    row_serializer = None
    many = True
    name = "report"

    def report(self, filters, **params):
        raise NotImplementedError

    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters, params = query.filters(request.user)
        results = self.report(filters, **params)
        return Response({"results": self.row_serializer(results, many=self.many).data})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code == 200 and renderer and renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="{self.name}.csv"'
        return response


@report_schema(
    "Key numbers",
    "Postings, matches by status, outcomes and indicator totals, and the countries helped.",
    SummarySerializer,
    ReportQuerySerializer,
    many=False,
)
class SummaryReport(ReportView):
    row_serializer = SummarySerializer
    many = False
    name = "summary"

    def report(self, filters):
        return reports.summary(filters)


@report_schema(
    "Figures per objective",
    "Per objective or target, with its framework and goal: postings, matches by status, outcomes "
    "and indicator totals. A posting or outcome serving several objectives counts under each. "
    "Drill down with /api/v1/reports/export/postings/?objective=CODE&direction=offer&live=true, "
    "/api/v1/reports/export/matches/?objective=CODE and /api/v1/reports/export/outcomes/?objective=CODE.",
    ObjectiveRowSerializer,
    ReportQuerySerializer,
)
class ObjectivesReport(ReportView):
    row_serializer = ObjectiveRowSerializer
    name = "objectives"

    def report(self, filters):
        return reports.objectives(filters)


@report_schema(
    "Figures per group",
    "Postings, matches by status, outcomes and indicator totals per UN regional group, country, "
    "cooperation type, theme, organization kind, year or quarter. Postings count by their own "
    "organization and publication date; matches and outcomes by their request's (or offer's, with "
    "side=offer) organization, type and themes, and by their creation and achievement dates. "
    "Years and quarters come in order, none missing.",
    BreakdownRowSerializer,
    BreakdownQuerySerializer,
)
class BreakdownReport(ReportView):
    query_serializer = BreakdownQuerySerializer
    row_serializer = BreakdownRowSerializer
    name = "breakdown"

    def report(self, filters, by, side):
        return reports.breakdown(filters, by, side)


@report_schema(
    "Objectives with requests and no offer",
    "Objectives and targets with open requests and no open offer, most requested first.",
    ObjectiveGapSerializer,
    ReportQuerySerializer,
)
class ObjectiveGapsReport(ReportView):
    row_serializer = ObjectiveGapSerializer
    name = "gaps-objectives"

    def report(self, filters):
        return reports.uncovered_objectives(filters)


@report_schema(
    "Themes with requests and no offer",
    "Themes with open requests and no open offer, most requested first.",
    ThemeGapSerializer,
    ReportQuerySerializer,
)
class ThemeGapsReport(ReportView):
    row_serializer = ThemeGapSerializer
    name = "gaps-themes"

    def report(self, filters):
        return reports.uncovered_themes(filters)


@report_schema(
    "Requests waiting longest",
    "The open requests that have waited longest without any expression of interest.",
    UnansweredRequestSerializer,
    UnansweredQuerySerializer,
)
class UnansweredRequestsReport(ReportView):
    query_serializer = UnansweredQuerySerializer
    row_serializer = UnansweredRequestSerializer
    name = "gaps-unanswered-requests"

    def report(self, filters, limit):
        return reports.unanswered_requests(filters, limit)


@report_schema(
    "Regions whose requests go unanswered",
    "Per UN regional group or country of the requesting organization: requests published, open "
    "now, and open without any expression of interest, most unanswered first.",
    RegionGapSerializer,
    RegionGapQuerySerializer,
)
class RegionGapsReport(ReportView):
    query_serializer = RegionGapQuerySerializer
    row_serializer = RegionGapSerializer
    name = "gaps-regions"

    def report(self, filters, by):
        return reports.unanswered_by_region(filters, by)


@report_schema(
    "Time to match",
    "Median and 90th-percentile days from a request's publication to its first expression of "
    "interest and to its first accepted match, over the requests published in the period, per "
    "cooperation type, UN regional group, year or quarter of publication.",
    TimeToMatchSerializer,
    TimeToMatchQuerySerializer,
)
class TimeToMatchReport(ReportView):
    query_serializer = TimeToMatchQuerySerializer
    row_serializer = TimeToMatchSerializer
    name = "time-to-match"

    def report(self, filters, by):
        return reports.time_to_match(filters, by)


def export_schema(summary, description, query, header):
    return extend_schema_view(
        get=extend_schema(
            tags=["reports"],
            summary=summary,
            description=f"{description} Streamed as CSV with the columns: {', '.join(header)}.",
            parameters=[query, CSV_FORMAT_PARAMETER],
            responses={
                (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
                400: validation_error("Invalid parameter: a message per parameter."),
            },
        )
    )


class ExportView(APIView):
    """Streams rows as CSV while they are read from the database in chunks."""

    permission_classes = [AllowAny]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]  # JSON for errors, unless ?format=csv
    query_serializer = DrillDownQuerySerializer
    name = "export"

    def rows(self, filters, **params):
        raise NotImplementedError

    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters, params = query.filters(request.user)
        writer = csv.writer(Echo())
        response = StreamingHttpResponse(
            (writer.writerow([cell(value) for value in row]) for row in self.rows(filters, **params)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{self.name}.csv"'
        return response


@export_schema(
    "Export postings",
    "The postings you may see (drafts only your organization's), published in the period.",
    PostingExportQuerySerializer,
    reports.POSTING_COLUMNS,
)
class PostingExport(ExportView):
    query_serializer = PostingExportQuerySerializer
    name = "postings"

    def rows(self, filters, **params):
        return reports.posting_rows(filters, **params)


@export_schema(
    "Export matches",
    "Matches made in the period: those of your organizations (all of them for staff), as matches "
    "are private to the two organizations.",
    MatchExportQuerySerializer,
    reports.MATCH_COLUMNS,
)
class MatchExport(ExportView):
    query_serializer = MatchExportQuerySerializer
    name = "matches"

    def rows(self, filters, **params):
        return reports.match_rows(filters, **params)


@export_schema(
    "Export outcomes",
    "Outcomes achieved in the period, with their indicator totals; private ones only for staff "
    "and the organizations involved.",
    DrillDownQuerySerializer,
    reports.OUTCOME_COLUMNS,
)
class OutcomeExport(ExportView):
    name = "outcomes"

    def rows(self, filters, **params):
        return reports.outcome_rows(filters, **params)


urlpatterns = [
    path("summary/", SummaryReport.as_view(), name="report-summary"),
    path("objectives/", ObjectivesReport.as_view(), name="report-objectives"),
    path("breakdown/", BreakdownReport.as_view(), name="report-breakdown"),
    path("gaps/objectives/", ObjectiveGapsReport.as_view(), name="report-gaps-objectives"),
    path("gaps/themes/", ThemeGapsReport.as_view(), name="report-gaps-themes"),
    path("gaps/unanswered-requests/", UnansweredRequestsReport.as_view(), name="report-unanswered-requests"),
    path("gaps/regions/", RegionGapsReport.as_view(), name="report-gaps-regions"),
    path("time-to-match/", TimeToMatchReport.as_view(), name="report-time-to-match"),
    path("export/postings/", PostingExport.as_view(), name="report-export-postings"),
    path("export/matches/", MatchExport.as_view(), name="report-export-matches"),
    path("export/outcomes/", OutcomeExport.as_view(), name="report-export-outcomes"),
]
