"""`Authorization: Bearer lsk_…` for the API. The key decides the merchant."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiKey


class ApiClient:
    """The caller of an API request authenticated by key (there is no person behind it)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    language = ""

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.merchant = api_key.merchant

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        from .services import authenticate_api_key

        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: expected 'Bearer <key>'."))
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        api_key = authenticate_api_key(plaintext)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return ApiClient(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword
