"""Threads released together against the real database: the tool of every race test."""

import threading

from django.db import connection


def race(worker, workers: int, *, timeout: float = 180):
    """Run `worker(index)` in `workers` threads released by one barrier; returns their results in order.

    Each thread closes its own database connection; a hung thread or any exception fails the test."""
    barrier = threading.Barrier(workers)
    results, errors = [None] * workers, []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = worker(index)
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors
    return results
