"""OpenAPI description of our API-key authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lsk_<prefix>_<secret>",
            "description": "A merchant API key created on the API keys page (Authorization: Bearer <key>).",
        }


ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` says what went wrong; a validation error names each field with its messages.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "The request is not valid (each field with its messages, or `detail`).",
    "401": "No API key, or a wrong or revoked one.",
    "403": "The key's role may not do this (read-only keys cannot write).",
    "404": "No such object for this merchant (another merchant's objects are not found either).",
    "413": "The request body is too large.",
    "429": "Too many requests for this key; retry after `Retry-After` seconds.",
    "503": "The database or broker is unreachable for a moment; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors every API view can answer.

    Errors come from the exception handler and the middleware for any operation (authentication, roles,
    throttling, validation, a merchant's object not found, outages), so they are described once here.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status == "413" and method in {"get", "delete"}:
                    continue
                entry = responses.setdefault(status, {"description": description, "content": error})
                if status in {"429", "503"}:
                    entry.setdefault("headers", RETRY_AFTER)
    return result
