"""The reports under /api/v1/reports/: JSON, or CSV with `?format=csv`; the exports of opportunities,
matches and outcomes stream as CSV, read from the database in chunks. The figures come from
`matchmaking.reports`; this module only reads the query, and serializes and renders the rows.
The figures are public; private outcomes count only for staff and members of the organizations
involved, and the exports list only what the user may see."""
