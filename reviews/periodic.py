from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="reviews: plan due messages",
        task="reviews.tasks.plan_due_messages_task",
        every_seconds=60,
        description="Turn orders that became due into outbox messages (idempotent; safe to overlap).",
    ),
    PeriodicSpec(
        name="reviews: kick dispatch",
        task="reviews.tasks.kick_dispatch_task",
        every_seconds=15,
        description="Mark silent claims unknown and start dispatch loops when messages are due.",
    ),
]
