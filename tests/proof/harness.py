"""Real processes and local servers for the proof-under-pressure tests.

- `scale(ci, soak)`: small counts by default, the full counts under `LINKSTAR_SOAK=1` (`bash scripts/soak`).
- `report(name, **figures)`: one JSON line per test, printed and appended to `test-artefacts/figures.jsonl`.
- `Sink`: an SMTP server (aiosmtpd) counting every message by our reference (`X-Linkstar-Ref`) and noting
  when each one started (its `MAIL FROM`), on the test's clock.
- `RedisServer`: a redis-server of the test's own on a free port, which the test may stop, restart, flush.
- `CeleryWorker`: a real `celery worker` process (solo pool) on the test database; SIGKILL and restart.
- `child_env()`: the environment a child process needs to reach the test database and the test's broker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts"
SOAK = os.environ.get("LINKSTAR_SOAK", "") not in ("", "0")
REF_HEADER = b"X-Linkstar-Ref:"

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO


def scale(ci: int | float, soak: int | float):
    return soak if SOAK else ci


def report(name: str, **figures) -> dict:
    line = {"proof": name, "soak": SOAK, **figures}
    text = json.dumps(line, sort_keys=False, default=str)
    print(text)  # noqa: T201
    ARTEFACTS.mkdir(exist_ok=True)
    with (ARTEFACTS / "figures.jsonl").open("a") as fh:
        fh.write(text + "\n")
    return line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# --- the SMTP sink ------------------------------------------------------------------------------------------


class _SinkHandler:
    def __init__(self, sink: Sink):
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        session.started_at = time.time()
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        data = envelope.original_content or envelope.content or b""
        ref = "<no reference>"
        start = data.find(REF_HEADER)
        if start >= 0:
            end = data.find(b"\r\n", start)
            ref = data[start + len(REF_HEADER) : end].strip().decode()
        with self.sink.lock:
            self.sink.starts[ref].append(getattr(session, "started_at", time.time()))
            if self.sink.keep:
                self.sink.bodies[ref] = data
        return "250 OK"


class _PortZeroController(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class Sink:
    """Counts by message reference; `delay` slows each message down so that faults land mid-batch."""

    def __init__(self, *, delay: float = 0.0, keep: bool = False):
        self.delay = delay
        self.keep = keep
        self.lock = threading.Lock()
        self.starts: dict[str, list[float]] = defaultdict(list)
        self.bodies: dict[str, bytes] = {}
        self.controller = _PortZeroController(_SinkHandler(self), hostname="127.0.0.1", port=0, decode_data=False)

    host = "127.0.0.1"

    @property
    def port(self) -> int:
        return self.controller.port

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {ref: len(times) for ref, times in self.starts.items()}

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


# --- Redis of the test's own --------------------------------------------------------------------------------


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self.ping, timeout=10):
            raise RuntimeError("redis-server did not start")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words: str) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall((" ".join(words) + "\r\n").encode())
            return s.recv(4096)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- child processes on the test database -------------------------------------------------------------------


def database_url(port: int | None = None) -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


def child_env(*, broker: str, cache: str = "", db_port: int | None = None, **settings) -> dict[str, str]:
    env = {
        **os.environ,
        "LINKSTAR_ENV_FILE": "/dev/null",
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url(db_port),
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": cache,
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update({k: str(v) for k, v in settings.items()})
    return env


class CeleryWorker:
    """`celery worker --pool=solo`: one process, so SIGKILL takes the task down with it."""

    def __init__(self, env: dict[str, str], name: str):
        self.env = env
        self.name = name
        self.process: subprocess.Popen | None = None
        self.kills = 0
        ARTEFACTS.mkdir(exist_ok=True)
        self.log = ARTEFACTS / f"worker-{name}.log"

    def start(self) -> CeleryWorker:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "linkstar", "worker", "--pool=solo", "-n", f"{self.name}@proof",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Kicker:
    """Plays beat: sends the periodic tasks by name to the test's own broker (nothing runs eagerly here)."""

    def __init__(self, broker: str):
        from celery import Celery

        # CELERY_BROKER_URL in the environment (the test process's own broker) outranks `broker=`: the
        # connection is opened on the test's broker explicitly.
        self.broker = broker
        self.app = Celery("proof-beat")
        self.app.conf.broker_connection_timeout = 1
        self.app.conf.broker_connection_retry = False
        self.app.conf.broker_connection_max_retries = 0
        self.failures = 0

    def send(self, task: str) -> bool:
        try:
            with self.app.connection_for_write(self.broker) as connection:
                self.app.send_task(task, retry=False, connection=connection)
            return True
        except Exception:  # noqa: BLE001  (the broker may be down on purpose)
            self.failures += 1
            self.app.pool.force_close_all()
            return False

    def kick(self) -> bool:
        return self.send("reviews.tasks.kick_dispatch_task")

    def plan(self) -> bool:
        return self.send("reviews.tasks.plan_due_messages_task")

    def close(self) -> None:
        self.app.close()


class Loops:
    """`python -m tests.proof.loops WHAT SECONDS` in child processes (see loops.py); `results()` waits."""

    def __init__(self, what: str, seconds: float, count: int, env: dict[str, str]):
        self.seconds = seconds
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "tests.proof.loops", what, str(seconds)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]  # fmt: skip

    def running(self) -> bool:
        return any(p.poll() is None for p in self.processes)

    def results(self) -> list[dict]:
        outputs = [p.communicate(timeout=self.seconds * 10 + 120)[0] for p in self.processes]
        if any(p.returncode for p in self.processes):
            raise RuntimeError(f"a loop failed: {[p.returncode for p in self.processes]}")
        return [json.loads(out.strip().splitlines()[-1]) for out in outputs]

    def kill(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)


def _reset_pools(app) -> None:
    from kombu import pools

    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu's global producer pools, keyed by connection, would hand back closed ones


class TestProcessBroker:
    """Points this process's Celery app (the live server's `.delay()` calls) at the test's own broker, not
    eagerly; restores the session's broker and eager mode afterwards."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self):
        from linkstar.celery import app

        self.saved = (os.environ.get("CELERY_BROKER_URL"), app.conf.broker_url, app.conf.task_always_eager)
        os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = self.url
        app.conf.task_always_eager = False
        app.conf.broker_connection_retry = False
        _reset_pools(app)
        return self

    def __exit__(self, *exc) -> None:
        from linkstar.celery import app

        env, url, eager = self.saved
        if env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = env
        app.conf.broker_url, app.conf.task_always_eager = url, eager
        app.conf.broker_connection_retry = True
        _reset_pools(app)


class Prober:
    """Calls a few URLs of a live server in a loop from a thread; keeps (time, name, status, Retry-After)."""

    def __init__(self, base: str, probes: dict, interval: float = 0.1):
        self.base, self.probes, self.interval = base, probes, interval
        self.answers: list[tuple[float, str, int, str]] = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import requests

        session = requests.Session()
        while not self.stop_event.is_set():
            for name, build in self.probes.items():
                method, path, kwargs = build()
                try:
                    response = session.request(method, self.base + path, timeout=20, **kwargs)
                    self.answers.append(
                        (time.time(), name, response.status_code, response.headers.get("Retry-After", ""))
                    )
                except requests.RequestException as exc:
                    self.answers.append((time.time(), name, -1, type(exc).__name__))
            time.sleep(self.interval)

    def __enter__(self) -> Prober:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        self.thread.join(timeout=60)

    def bad(self) -> list:
        """Answers that break the promise: any 5xx but a 503 with Retry-After, or no answer at all."""
        return [a for a in self.answers if a[2] < 0 or (a[2] >= 500 and not (a[2] == 503 and a[3]))]


class Gunicorn:
    """The web app in its own gunicorn process (sync workers) on a free port."""

    def __init__(self, env: dict[str, str], workers: int = 2):
        self.port = free_port()
        self.env, self.workers = env, workers
        self.process: subprocess.Popen | None = None
        ARTEFACTS.mkdir(exist_ok=True)
        self.log = ARTEFACTS / "gunicorn.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "linkstar.wsgi", "-b", f"127.0.0.1:{self.port}",
                 "-w", str(self.workers), "--timeout", "90"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        import requests

        def up() -> bool:
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        if not wait_for(up, timeout=60, interval=0.3):
            raise RuntimeError("gunicorn did not start")
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _open_messages():
    from django.utils import timezone

    from reviews.models import Message, MessageStatus

    return Message.objects.due(timezone.now()) | Message.objects.filter(status=MessageStatus.SENDING)


def bring_retries_forward() -> int:
    """Messages sent back to wait (a retry after a timeout on a loaded machine, a database error) go when
    their time comes; the tests bring that time forward instead of waiting minutes."""
    from django.utils import timezone

    from reviews.models import Message, MessageStatus

    now = timezone.now()
    return Message.objects.filter(status=MessageStatus.PLANNED, send_at__gt=now).update(send_at=now)


def drain(beat: Kicker, timeout: float) -> int:
    """Beat kicks until nothing is due and nothing is claimed, then once more after bringing retries forward.
    Returns how many messages waited for a retry."""

    def settle():
        started = time.monotonic()
        while _open_messages().exists():
            assert time.monotonic() - started < timeout, "dispatch did not drain"
            beat.kick()
            time.sleep(1.0)

    settle()
    moved = bring_retries_forward()
    settle()
    return moved


def finish_in_process(timeout: float = 120) -> int:
    """After dispatch processes exit: what waits for a retry goes now, dispatched by this process."""
    from reviews.dispatch import dispatch_due

    moved = bring_retries_forward()
    started = time.monotonic()
    while _open_messages().exists() and time.monotonic() - started < timeout:
        dispatch_due(max_seconds=timeout)
    return moved
