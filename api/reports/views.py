"""The report views (JSON, or CSV with `?format=csv`) and the streamed exports."""

import csv

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import renderers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import validation_error
from matchmaking.reports import exports, figures, gaps, needs, timing

from .csv_files import CSVRenderer, Echo, cell
from .serializers import (
    CSV_FORMAT_PARAMETER,
    FORMAT_PARAMETER,
    BreakdownQuerySerializer,
    BreakdownRowSerializer,
    BudgetRowSerializer,
    DrillDownQuerySerializer,
    MatchExportQuerySerializer,
    NeedsByLevelSerializer,
    ObjectiveGapSerializer,
    ObjectiveRowSerializer,
    PostingExportQuerySerializer,
    RegionGapQuerySerializer,
    RegionGapSerializer,
    ReportQuerySerializer,
    SummarySerializer,
    ThemeGapSerializer,
    TimeToMatchQuerySerializer,
    TimeToMatchSerializer,
    UnansweredQuerySerializer,
    UnansweredRequestSerializer,
)


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
        return figures.summary(filters)


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
        return figures.objectives(filters)


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
        return figures.breakdown(filters, by, side)


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
        return gaps.uncovered_objectives(filters)


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
        return gaps.uncovered_themes(filters)


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
        return gaps.unanswered_requests(filters, limit)


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
        return gaps.unanswered_by_region(filters, by)


@report_schema(
    "Time to match",
    "Median and 90th-percentile days from a request's publication to its first expression of "
    "interest and to its first accepted match, over the requests published in the period, per "
    "cooperation type, UN regional group, year or quarter of publication; and of the proposals made "
    "on those requests, how many expired without an answer and the days to their first answer.",
    TimeToMatchSerializer,
    TimeToMatchQuerySerializer,
)
class TimeToMatchReport(ReportView):
    query_serializer = TimeToMatchQuerySerializer
    row_serializer = TimeToMatchSerializer
    name = "time-to-match"

    def report(self, filters, by):
        return timing.time_to_match(filters, by)


@report_schema(
    "Structured needs per level",
    "Per level (national, regional, global; null: not given): requests and offers published in the "
    "period, those giving a budget, requests bringing co-financing, and the beneficiaries the requests "
    "count.",
    NeedsByLevelSerializer,
    ReportQuerySerializer,
)
class NeedsReport(ReportView):
    row_serializer = NeedsByLevelSerializer
    name = "needs"

    def report(self, filters):
        return needs.by_level(filters)


@report_schema(
    "Budgets requested and offered",
    "Per level and currency, over the postings published in the period that give a budget: requests "
    "and their budgets added up, offers and what they offer added up (the budget per partner times the "
    "partners each can take), and the co-financing requests bring. Amounts in different currencies "
    "are never added; a budget given by one bound counts that bound at both ends.",
    BudgetRowSerializer,
    ReportQuerySerializer,
)
class BudgetsReport(ReportView):
    row_serializer = BudgetRowSerializer
    name = "budgets"

    def report(self, filters):
        return needs.budgets(filters)


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
    exports.POSTING_COLUMNS,
)
class PostingExport(ExportView):
    query_serializer = PostingExportQuerySerializer
    name = "postings"

    def rows(self, filters, **params):
        return exports.opportunity_rows(filters, **params)


@export_schema(
    "Export matches",
    "Matches made in the period: those of your organizations (all of them for staff), as matches "
    "are private to the two organizations.",
    MatchExportQuerySerializer,
    exports.MATCH_COLUMNS,
)
class MatchExport(ExportView):
    query_serializer = MatchExportQuerySerializer
    name = "matches"

    def rows(self, filters, **params):
        return exports.match_rows(filters, **params)


@export_schema(
    "Export outcomes",
    "Outcomes achieved in the period, with their indicator totals; private ones only for staff "
    "and the organizations involved.",
    DrillDownQuerySerializer,
    exports.OUTCOME_COLUMNS,
)
class OutcomeExport(ExportView):
    name = "outcomes"

    def rows(self, filters, **params):
        return exports.outcome_rows(filters, **params)
