"""Project-wide middleware: language choice and caching of private pages."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def choose_language(request) -> str:
    """The user's own choice, then the merchant's default, then the browser's (cookie, Accept-Language)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "language", "") in SUPPORTED:
        return user.language
    merchant = getattr(request, "merchant", None)
    if merchant is not None and merchant.default_language in SUPPORTED:
        return merchant.default_language
    return translation.get_language_from_request(request)


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateCacheMiddleware:
    """Pages behind a login are never stored by browsers or proxies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
            response["Cache-Control"] += ", no-store"
        return response


def is_outage(exc: BaseException | None) -> bool:
    """A database or broker that cannot be reached right now (worth retrying), not a bug."""
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    # Redis (the cache behind rate limits, and often the broker) raises its own errors, not the builtins
    return isinstance(
        exc,
        OperationalError
        | InterfaceError
        | BrokerError
        | ConnectionError
        | TimeoutError
        | RedisConnectionError
        | RedisTimeoutError,
    )


def outage_response(request):
    from django.http import HttpResponse, JsonResponse

    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "Service temporarily unavailable; retry later."}, status=503)
    else:
        response = HttpResponse(
            "<!doctype html><title>Linkstar</title><h1>Temporarily unavailable</h1><p>Please retry in a moment.</p>",
            status=503,
        )
    response["Retry-After"] = "5"
    return response


class OutageMiddleware:
    """A database or broker outage answers 503 with Retry-After, so clients and providers retry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return outage_response(request)
        return None


class NulByteMiddleware:
    """A NUL byte in the query string is refused with 400 before any view filters on it.

    PostgreSQL text cannot hold NUL, so a filter like `?status=%00` would otherwise fail in the database.
    Forms and serializers already refuse NUL in bodies (Django's ProhibitNullCharactersValidator).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            from django.http import HttpResponseBadRequest, JsonResponse

            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "The query string contains a NUL character."}, status=400)
            return HttpResponseBadRequest("The query string contains a NUL character.", content_type="text/plain")
        return self.get_response(request)
