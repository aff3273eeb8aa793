from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="channels: process pending delivery events",
        task="channels.tasks.process_pending_delivery_events_task",
        every_seconds=60,
        description="Apply stored provider events that no task processed (after a broker outage).",
    ),
]
