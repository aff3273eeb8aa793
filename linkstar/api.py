"""API-wide pieces: the error format every endpoint answers with."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as _DRFJSONParser
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with a top-level `detail` message on every error body."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list) or (isinstance(data, dict) and "detail" not in data):
        response.data = {"detail": "Invalid input.", "errors": data}
    return response


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class JSONParser(_DRFJSONParser):
    """DRF's JSON parser, refusing a NUL character anywhere in the document (400).

    PostgreSQL's text and jsonb cannot store NUL, so a body carrying one would otherwise fail in the
    database (a 500) wherever it reaches a free-form field (bulk rows, event data, JSON settings).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _holds_nul(data):
            raise ParseError("JSON parse error - the document contains a NUL character (\\u0000).")
        return data
