"""A token bucket shared by every worker: Redis when the cache is Redis, else this process only.

Amazon's Solicitations operations allow 1 request per second with a burst of 5 per selling
partner. The bucket lives in Redis (one hash per key, refilled lazily inside a Lua script using
Redis' own clock), so any number of workers on any number of machines stay under the limit
together. Without Redis (the zero-setup demo) a process-local bucket is used instead.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from django.conf import settings

TAKE_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


@lru_cache(maxsize=8)
def _redis_client(location: str):
    import redis

    return redis.Redis.from_url(location)


def _redis():
    cache = settings.CACHES.get("default", {})
    if cache.get("BACKEND", "").endswith("RedisCache") and cache.get("LOCATION"):
        location = cache["LOCATION"]
        return _redis_client(location if isinstance(location, str) else location[0])
    return None


class _LocalBucket:
    def __init__(self):
        self.lock = threading.Lock()
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, burst: int) -> float:
        with self.lock:
            now = time.monotonic()
            tokens, ts = self.state.get(key, (float(burst), now))
            tokens = min(burst, tokens + max(0.0, now - ts) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self.state[key] = (tokens, now)
            return wait


_local = _LocalBucket()


class TokenBucket:
    """`take()` returns 0.0 when a token was taken, else the seconds until one will be free."""

    def __init__(self, key: str, *, rate: float, burst: int):
        self.key = f"linkstar:bucket:{key}"
        self.rate = rate
        self.burst = burst

    def take(self) -> float:
        client = _redis()
        if client is None:
            return _local.take(self.key, self.rate, self.burst)
        return float(client.eval(TAKE_SCRIPT, 1, self.key, self.rate, self.burst))

    def acquire(self, *, max_wait: float) -> float:
        """Wait (at most `max_wait` seconds) for a token. 0.0 on success, else the wait still needed."""
        deadline = time.monotonic() + max_wait
        while True:
            wait = self.take()
            if wait <= 0:
                return 0.0
            if time.monotonic() + wait > deadline:
                return wait
            time.sleep(wait)
