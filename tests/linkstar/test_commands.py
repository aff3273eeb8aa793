import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.models import Membership, Merchant, User
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent():
    call_command("demo", stdout=io.StringIO())
    counts = (Merchant.objects.count(), User.objects.count(), Membership.objects.count())
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (Merchant.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert "chen@demo.linkstar.test" in out.getvalue()
    assert Merchant.objects.filter(default_language="zh-hans").exists()
    assert Merchant.objects.filter(default_language="en").exists()


def test_demo_users_can_log_in(client, settings):
    call_command("demo", stdout=io.StringIO())
    assert log_in(client, "chen@demo.linkstar.test", settings.DEMO_PASSWORD)
    assert "仪表板".encode() in client.get("/dashboard/").content


def test_periodic_tasks_are_created_once_and_admin_edits_survive():
    call_command("setup_periodic_tasks", stdout=io.StringIO())
    task = PeriodicTask.objects.get(name="accounts: clear expired sessions")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    task.crontab = None
    task.interval = every_minute
    task.enabled = False
    task.save()
    call_command("setup_periodic_tasks", stdout=io.StringIO())
    task.refresh_from_db()
    assert task.enabled is False and task.interval == every_minute
    assert PeriodicTask.objects.filter(name="accounts: clear expired sessions").count() == 1


def test_every_periodic_task_names_a_registered_task():
    from linkstar.celery import app
    from linkstar.periodic import all_specs

    app.loader.import_default_modules()
    for spec in all_specs():
        assert spec.task in app.tasks, spec.task
