"""The Celery app. Settings live in linkstar/settings.py under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")

app = Celery("linkstar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
