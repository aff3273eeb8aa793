"""Celery wrappers for orders: ids in, one service call."""

from celery import shared_task


@shared_task
def run_import_task(job_id: int) -> None:
    from .services import run_import

    run_import(job_id=job_id)


@shared_task
def erase_due_buyers_task() -> int:
    """Marketplace rules (Amazon: 30 days after delivery) and merchants' own retention periods."""
    from .services import erase_due_buyers, purge_stale_import_files

    purge_stale_import_files()
    return erase_due_buyers()


# The connectors' tasks live beside their code; importing them here registers them with Celery.
from .connectors import tasks as connector_tasks  # noqa: E402,F401
