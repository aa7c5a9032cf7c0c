"""Reports against the strategic plans: plain functions that take `ReportFilters` and return lists
of dicts, for the API and the dashboard alike.

The database aggregates (`values().annotate()`, one query per table a report reads); Python only
merges a few grouped rows and, for time to match, takes percentiles over one list of durations,
which works on SQLite and PostgreSQL alike.

What counts: opportunities that were published and approved (never drafts, opportunities waiting for
approval or hidden ones); matches between such opportunities; outcomes that are public, and private
ones for staff and for members of the organizations involved (`Outcome.objects.visible_to`).
The period bounds each table's own date: an opportunity's publication, a match's creation, an
outcome's achievement.
"""
