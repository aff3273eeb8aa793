from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="accounts: clear expired sessions",
        task="accounts.tasks.clear_expired_sessions_task",
        crontab="17 3 * * *",
        description="Delete expired login sessions once a day.",
    ),
]
