from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="billing: close monthly statements",
        task="billing.tasks.close_statements_task",
        crontab="5 0 1 * *",
        description="On the 1st (UTC), charge plan fees and close last month's statements.",
    ),
    PeriodicSpec(
        name="billing: release stale reservations",
        task="billing.tasks.release_stale_reservations_task",
        crontab="23 * * * *",
        description="Release budget held by messages nobody settled within BILLING_RESERVATION_TTL_HOURS.",
    ),
    PeriodicSpec(
        name="billing: check the books",
        task="billing.tasks.check_books_task",
        crontab="41 4 * * *",
        description="Log an error for any wallet whose balance, reservations or counters disagree with the ledger.",
    ),
]
