"""Child processes of the proof tests: `python -m tests.proof.loops beat SECONDS` runs one beat's work
(plan due orders, then dispatch what is due) in a loop for SECONDS, on the database named by DATABASE_URL,
and prints one JSON line with what it did. Several run side by side as several beats would."""

import json
import os
import sys
import time


def beat(seconds: float) -> dict:
    from reviews.dispatch import dispatch_due
    from reviews.planning import plan_due_messages

    planned = sent = rounds = 0
    started = time.monotonic()
    while time.monotonic() - started < seconds * 10:  # bounded, whatever happens
        planned_now = plan_due_messages().planned
        part = dispatch_due(max_seconds=1.0)
        planned, sent, rounds = planned + planned_now, sent + part.sent, rounds + 1
        if time.monotonic() - started >= seconds and not planned_now and not part.claimed:
            break  # its time is up and nothing was left to do
    return {"planned": planned, "sent": sent, "rounds": rounds}


def dispatch(seconds: float) -> dict:
    """A worker's loop until nothing was due for a while (at most ten times SECONDS)."""
    from reviews.dispatch import dispatch_due

    sent = claimed = 0
    started = idle_since = time.monotonic()
    while time.monotonic() - started < seconds * 10:
        part = dispatch_due(max_seconds=1.0)
        sent, claimed = sent + part.sent, claimed + part.claimed
        if part.claimed:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= seconds:
            break
        else:
            time.sleep(0.1)
    return {"sent": sent, "claimed": claimed}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
    import django

    django.setup()
    what, seconds = sys.argv[1], float(sys.argv[2])
    result = {"beat": beat, "dispatch": dispatch}[what](seconds)
    print(json.dumps(result))  # noqa: T201


if __name__ == "__main__":
    main()
