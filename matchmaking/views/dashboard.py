"""The reporting dashboard: key numbers, a chart and its table per report, filters, drill-down to
the opportunities and outcomes behind an objective, and CSV downloads. Public figures for everyone;
a member also counts the private outcomes of their own organizations."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from matchmaking.forms.dashboard import DashboardFilterForm
from matchmaking.models import Membership, Objective
from matchmaking.reports import base, exports, figures, gaps, needs, timing

BREAKDOWN_LABELS = {
    "un_group": _("UN regional group"),
    "country": _("country"),
    "cooperation_type": _("cooperation type"),
    "theme": _("theme"),
    "organization_kind": _("organization kind"),
    "level": _("level"),
    "year": _("year"),
    "quarter": _("quarter"),
}


def has_figures(row):
    return bool(row["offers"] or row["requests"] or row["matches"]["total"] or row["outcomes"])


def chart(chart_id, kind, labels, series, **options):
    """A chart for static/matchmaking/dashboard.js: labels, and (label, values) series."""
    return {
        "id": chart_id,
        "type": kind,
        "labels": [str(label) for label in labels],
        "datasets": [{"label": str(label), "data": list(values)} for label, values in series],
        **options,
    }


def dashboard(request):
    form = DashboardFilterForm(request.GET or None)
    filters = form.report_filters(request.user)
    objective = form.cleaned_data.get("objective") if form.is_bound and form.is_valid() else ""
    query = {
        key: value
        for key, value in (
            ("date_from", filters.date_from),
            ("date_to", filters.date_to),
            ("framework", filters.framework),
        )
        if value
    }

    summary = figures.summary(filters)
    objectives = figures.objectives(filters)
    by_group = figures.breakdown(filters, "un_group")
    by_quarter = figures.breakdown(filters, "quarter")
    speed_by_type = timing.time_to_match(filters, "cooperation_type")
    speed_by_group = timing.time_to_match(filters, "un_group")
    answers = timing.proposal_answers(filters)
    regions = gaps.unanswered_by_region(filters, "un_group")
    served = [row for row in objectives if has_figures(row)]

    context = {
        "form": form,
        "filters": filters,
        "query": urlencode(query),
        "summary": summary,
        "objectives": objectives,
        "served_objectives": served,
        "unserved_objectives": [row["objective"] for row in objectives if not has_figures(row)],
        "by_group": by_group,
        "by_quarter": by_quarter,
        "speed_by_type": speed_by_type,
        "speed_by_group": speed_by_group,
        "answers": answers,
        "expired_percent": None
        if answers["share_expired"] is None
        else round(answers["share_expired"] * 100),
        "uncovered_objectives": gaps.uncovered_objectives(filters),
        "uncovered_themes": gaps.uncovered_themes(filters),
        "unanswered": gaps.unanswered_requests(filters, limit=10),
        "regions": regions,
        "needs_tables": needs.tables(filters),
        "speed_tables": [
            (_("Per cooperation type"), speed_by_type),
            (_("Per UN regional group of the requesting country"), speed_by_group),
        ],
        "breakdowns": [(by, BREAKDOWN_LABELS[by]) for by in base.BREAKDOWNS],
        "is_member": request.user.is_authenticated
        and (request.user.is_staff or Membership.objects.filter(user=request.user).exists()),
        "charts": [
            chart(
                "chart-objectives",
                "bar",
                [row["objective"] for row in served],
                [
                    (_("Open offers"), [row["open_offers"] for row in served]),
                    (_("Open requests"), [row["open_requests"] for row in served]),
                    (_("Matches"), [row["matches"]["total"] for row in served]),
                    (_("Outcomes"), [row["outcomes"] for row in served]),
                ],
            ),
            chart(
                "chart-quarters",
                "line",
                [row["key"] for row in by_quarter],
                [
                    (_("Matches made"), [row["matches"]["total"] for row in by_quarter]),
                    (_("Requests published"), [row["requests"] for row in by_quarter]),
                    (_("Outcomes achieved"), [row["outcomes"] for row in by_quarter]),
                ],
            ),
            chart(
                "chart-groups",
                "bar",
                [row["key"] or "—" for row in by_group],
                [
                    (_("Requests"), [row["requests"] for row in by_group]),
                    (_("Offers"), [row["offers"] for row in by_group]),
                    (_("Matches"), [row["matches"]["total"] for row in by_group]),
                ],
            ),
            chart(
                "chart-speed",
                "bar",
                [row["label"] for row in speed_by_type],
                [
                    (
                        _("Median days to first interest"),
                        [row["days_to_interest"]["median"] for row in speed_by_type],
                    ),
                    (
                        _("Median days to acceptance"),
                        [row["days_to_acceptance"]["median"] for row in speed_by_type],
                    ),
                ],
                horizontal=True,
            ),
            chart(
                "chart-regions",
                "bar",
                [row["key"] or "—" for row in regions],
                [
                    (_("Open requests"), [row["open_requests"] for row in regions]),
                    (_("Without any interest"), [row["without_interest"] for row in regions]),
                ],
            ),
        ],
    }
    if objective:
        context["objective"] = Objective.objects.select_related("framework").get(code=objective)
        context["drilldown"] = exports.drilldown(filters, objective)
        context["objective_query"] = urlencode({**query, "objective": objective})
    return render(request, "matchmaking/dashboard.html", context)
