"""The addresses of the reports, under /api/v1/reports/."""

from django.urls import path

from . import views

urlpatterns = [
    path("summary/", views.SummaryReport.as_view(), name="report-summary"),
    path("objectives/", views.ObjectivesReport.as_view(), name="report-objectives"),
    path("breakdown/", views.BreakdownReport.as_view(), name="report-breakdown"),
    path("gaps/objectives/", views.ObjectiveGapsReport.as_view(), name="report-gaps-objectives"),
    path("gaps/themes/", views.ThemeGapsReport.as_view(), name="report-gaps-themes"),
    path(
        "gaps/unanswered-requests/",
        views.UnansweredRequestsReport.as_view(),
        name="report-unanswered-requests",
    ),
    path("gaps/regions/", views.RegionGapsReport.as_view(), name="report-gaps-regions"),
    path("time-to-match/", views.TimeToMatchReport.as_view(), name="report-time-to-match"),
    path("needs/", views.NeedsReport.as_view(), name="report-needs"),
    path("budgets/", views.BudgetsReport.as_view(), name="report-budgets"),
    path("export/postings/", views.PostingExport.as_view(), name="report-export-postings"),
    path("export/matches/", views.MatchExport.as_view(), name="report-export-matches"),
    path("export/outcomes/", views.OutcomeExport.as_view(), name="report-export-outcomes"),
]
