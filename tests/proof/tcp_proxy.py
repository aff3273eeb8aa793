"""A small asyncio TCP proxy for fault tests (no tool to install): it sits between the app and PostgreSQL
on 127.0.0.1 and can add latency, stall (a black hole: bytes are held, not forwarded), or reset every
connection it carries. It runs its own event loop in a thread; every mode is bounded by the test."""

from __future__ import annotations

import asyncio
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.latency = 0.0
        self.stalled = False
        self.refusing = False
        self.port = 0
        self.resets = 0
        self.connections = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._resume: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None

    # --- control, from the test's thread -------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        async def close():
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def set_latency(self, seconds: float) -> None:
        self.latency = seconds

    def stall(self) -> None:
        """Black hole: connections stay open, nothing gets through (new ones are accepted and hang too)."""
        self._loop.call_soon_threadsafe(self._resume.clear)
        self.stalled = True

    def resume(self) -> None:
        self.stalled = False
        self._loop.call_soon_threadsafe(self._resume.set)

    def reset_all(self, *, refuse: bool = False) -> None:
        """Abort every carried connection (a TCP reset both ways); `refuse` also drops new ones."""

        async def abort():
            self.refusing = refuse
            for writer in list(self._writers):
                writer.transport.abort()
                self.resets += 1

        asyncio.run_coroutine_threadsafe(abort(), self._loop).result(timeout=10)

    def accept_again(self) -> None:
        self.refusing = False

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the loop's side --------------------------------------------------------------------------------------

    async def _start(self) -> None:
        self._resume = asyncio.Event()
        self._resume.set()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, client_reader, client_writer) -> None:
        if self.refusing:
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.connections += 1
        self._writers.update((client_writer, server_writer))
        await asyncio.gather(
            self._pipe(client_reader, server_writer, client_writer),
            self._pipe(server_reader, client_writer, server_writer),
        )
        self._writers.difference_update((client_writer, server_writer))

    async def _pipe(self, reader, writer, other) -> None:
        try:
            while data := await reader.read(65536):
                await self._resume.wait()
                if self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()
            other.transport.abort()
