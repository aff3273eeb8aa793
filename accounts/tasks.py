from celery import shared_task


@shared_task
def send_welcome_email_task(user_id: int) -> None:
    from .notifications import send_welcome_email

    send_welcome_email(user_id=user_id)


@shared_task
def send_member_invitation_task(membership_id: int, new_account: bool) -> None:
    from .notifications import send_member_invitation

    send_member_invitation(membership_id=membership_id, new_account=new_account)


@shared_task
def clear_expired_sessions_task() -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    Session.objects.filter(expire_date__lt=timezone.now()).delete()
