"""API-wide pieces: the error format every endpoint answers with."""

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
