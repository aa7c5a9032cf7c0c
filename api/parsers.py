"""The API's JSON parser: DRF's, refusing with a 400 what it would otherwise answer with a 500."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body of this API (an opportunity is three levels deep), far below Python's recursion limit.
MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """Refuses a body nested deeper than MAX_DEPTH, and text holding a lone UTF-16 surrogate
    ("\\ud800" alone is valid JSON but not text: no answer could repeat it)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check(data)
        return data


def check(data):
    """Walks the parsed body without recursion; raises ParseError at what it refuses."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    pending.append((item, depth + 1))
            else:
                pending.extend((item, depth + 1) for item in value)


def _too_deep():
    return ParseError(_("JSON parse error: nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH})


def _check_text(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError(
            _(
                "JSON parse error: the text holds a lone UTF-16 surrogate (U+D800 to U+DFFF), which is not a character."
            )
        ) from None
