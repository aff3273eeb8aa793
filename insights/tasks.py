"""Celery wrappers: ids in, one service call."""

from celery import shared_task


@shared_task
def evaluate_breakers_task(merchant_id: int | None = None) -> int:
    from .services import evaluate_breakers

    return len(evaluate_breakers(merchant_id=merchant_id))


@shared_task
def send_notice_email_task(notice_id: int) -> bool:
    from .services import send_notice_email

    return send_notice_email(notice_id=notice_id)


@shared_task
def collect_notices_task() -> int:
    from .services import collect_notices

    return collect_notices()


@shared_task
def send_weekly_digests_task() -> int:
    from .services import send_weekly_digests

    return send_weekly_digests()
