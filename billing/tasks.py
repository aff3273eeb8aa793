"""Celery wrappers: ids in, one service call."""

from celery import shared_task


@shared_task
def send_cap_alert_email_task(alert_id: int) -> None:
    from .notifications import send_cap_alert_email

    send_cap_alert_email(alert_id=alert_id)


@shared_task
def close_statements_task() -> int:
    from .services import close_due_statements

    return close_due_statements()


@shared_task
def release_stale_reservations_task() -> int:
    from datetime import timedelta

    from django.conf import settings

    from .services import release_stale_reservations

    return release_stale_reservations(older_than=timedelta(hours=settings.BILLING_RESERVATION_TTL_HOURS))


@shared_task
def check_books_task() -> int:
    from .services import check_books

    return len(check_books())
