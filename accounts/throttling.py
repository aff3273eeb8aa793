"""API rate limits: per key (or per signed-in user, or per address for anonymous calls)."""

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class ApiRateThrottle(SimpleRateThrottle):
    """Answers 429 with Retry-After once a caller exceeds `DEFAULT_THROTTLE_RATES["api"]`."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
