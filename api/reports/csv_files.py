"""Reports as CSV: a renderer for report views, and the cells of the streamed exports."""

import csv
import datetime
import io

from rest_framework import renderers, serializers


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
        writer.writerow([cell(name) for name in header])
        for row in rows:
            flat = flatten(row)
            writer.writerow([cell(flat.get(name)) for name in header])
        return out.getvalue()


class Echo:
    """A file that gives back what is written to it, for csv.writer in a streaming response."""

    def write(self, value):
        return value


# A cell starting with one of these is read as a formula by spreadsheets (CSV injection): such text
# gets a leading apostrophe, which spreadsheets show as text (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value as every CSV the service writes holds it: dates in ISO 8601, text never a formula."""
    if isinstance(value, datetime.date):  # and datetimes
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
