"""The per-account part every channels webhook shares."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from linkstar.webhooks import VerifiedWebhookView, WebhookRejected

from ..models import ChannelAccount


class AccountWebhookView(VerifiedWebhookView):
    """Finds the account named by the URL's webhook token (404 if none) before verifying with its secret."""

    account_kinds: tuple[str, ...] = ()

    def resolve_account(self, token) -> ChannelAccount:
        account = (
            ChannelAccount.objects.select_related("merchant")
            .filter(webhook_token=token, kind__in=self.account_kinds)
            .first()
        )
        if account is None:
            raise WebhookRejected("Unknown webhook address.", status=404)
        return account

    def post(self, request: HttpRequest, **kwargs):
        response = super().post(request, **kwargs)
        if response.status_code == 401:
            # Amazon SNS (and browsers) only send basic-auth credentials after a challenge.
            response["WWW-Authenticate"] = 'Basic realm="Linkstar webhooks"'
        return response


def accepted(new: int) -> JsonResponse:
    return JsonResponse({"status": "ok", "new_events": new})
