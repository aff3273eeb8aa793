"""Error views: an outage raised outside a view (middleware, session) is still a 503."""

import sys

from django.http import JsonResponse
from django.views.defaults import page_not_found, server_error

from .middleware import is_outage, outage_response


def handler500(request, *args, **kwargs):
    if is_outage(sys.exc_info()[1]):
        return outage_response(request)
    return server_error(request, *args, **kwargs)


def handler404(request, exception=None, *args, **kwargs):
    """API clients get JSON (`detail`) for an address that matches no route, as for every other API error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception, *args, **kwargs)
