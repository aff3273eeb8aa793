"""What the two carrier trackers share: registering tracking numbers and turning a status into an event."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Connector


@dataclass
class Registration:
    tracking_number: str
    carrier: str
    order_reference: str


@dataclass
class RegistrationResult:
    tracking_number: str
    status: str  # registered | rejected
    detail: str = ""


class TrackerConnector(Connector):
    is_tracker = True

    # Each tracker implements `register(connection, registrations) -> list[RegistrationResult]`: it hands
    # tracking numbers to the tracker and raises PlatformError (retryable) on 429 / 5xx, so registrations
    # stay pending and are tried again; per-number refusals come back as `rejected`.

    def base_url(self, connection, default: str) -> str:
        from .base import PlatformError, check_base_url

        try:
            return check_base_url(connection.credentials.get("api_base_url") or default)
        except ValueError as exc:
            raise PlatformError(str(exc), retryable=False) from None
