from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="orders: erase buyers past retention",
        task="orders.tasks.erase_due_buyers_task",
        crontab="23 * * * *",
        description="Erase buyers' personal data 30 days after an Amazon delivery, or after a store's own "
        "retention period; drop uploaded order files that were never imported.",
    ),
]
