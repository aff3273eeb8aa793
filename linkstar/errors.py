"""Error views: an outage raised outside a view (middleware, session) is still a 503."""

import sys

from django.views.defaults import server_error

from .middleware import is_outage, outage_response


def handler500(request, *args, **kwargs):
    if is_outage(sys.exc_info()[1]):
        return outage_response(request)
    return server_error(request, *args, **kwargs)
