"""Work queued inside a transaction reaches a real worker only after commit."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import transaction

from accounts import services
from linkstar.celery import app


@pytest.fixture
def celery_worker():
    # A real worker thread consuming from the real Redis broker.
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_task_queued_in_a_transaction_runs_only_after_commit(celery_worker):
    with transaction.atomic():
        services.sign_up_merchant(merchant_name="Queued", email="queued@example.test", password="a-long-enough-pass")
        time.sleep(0.5)
        assert mail.outbox == []  # nothing has been sent while the transaction is open
    assert _wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["queued@example.test"]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_work_is_never_queued(celery_worker):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.sign_up_merchant(merchant_name="Gone", email="gone@example.test", password="a-long-enough-pass")
        raise Abort
    time.sleep(1.0)
    assert mail.outbox == []


def test_worker_settings_never_lose_or_duplicate_silently():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
