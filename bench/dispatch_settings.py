"""Settings for bench/dispatch.py only: Linkstar's, plus django-post_office (a bench-only dependency) sending
through the local SMTP sink named by EMAIL_URL."""

from linkstar.settings import *  # noqa: F403
from linkstar.settings import INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
POST_OFFICE = {
    "BATCH_SIZE": env.int("BENCH_MESSAGES", default=20_000),  # one send_queued() call takes them all
    "THREADS_PER_PROCESS": 1,  # one SMTP connection per process, as our workers and the ceiling use
    "DEFAULT_PRIORITY": "medium",
    "MAX_RETRIES": 0,
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
