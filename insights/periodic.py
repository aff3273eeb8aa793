from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="insights: evaluate circuit breakers",
        task="insights.tasks.evaluate_breakers_task",
        every_seconds=300,
        description="Pause a channel account's campaigns when complaints, bounces, provider errors or "
        "unsubscribes cross their thresholds in the rolling window.",
    ),
    PeriodicSpec(
        name="insights: collect notices",
        task="insights.tasks.collect_notices_task",
        every_seconds=300,
        description="Budget alerts, rejected templates, failing stores and channel accounts become notices "
        "(once each).",
    ),
    PeriodicSpec(
        name="insights: weekly digest",
        task="insights.tasks.send_weekly_digests_task",
        crontab="0 1 * * 1",
        description="Monday 01:00 UTC: last week's digest email to each merchant's owners (once per week).",
    ),
]
