from celery import shared_task


@shared_task
def notify_review_decision_task(decision_id: int) -> None:
    from .notifications import send_review_decision_email

    send_review_decision_email(decision_id=decision_id)
