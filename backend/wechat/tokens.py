"""Where the WeChat access token lives between calls: in-process memory or shared Redis."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol


class TokenStore(Protocol):
    """Key -> (token, expires_at as a Unix timestamp); expired entries read as missing."""

    def get(self, key: str) -> tuple[str, float] | None: ...

    def set(self, key: str, token: str, expires_at: float) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """Thread-safe dict store for the single-process embedded mode."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, float] | None:
        """Return (token, expires_at), or None when missing or expired."""
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and entry[1] <= time.time():
                # Mirror Redis TTL semantics so both stores behave alike.
                del self._data[key]
                return None
            return entry

    def set(self, key: str, token: str, expires_at: float) -> None:
        """Store a token until expires_at."""
        with self._lock:
            self._data[key] = (token, float(expires_at))

    def delete(self, key: str) -> None:
        """Forget a token."""
        with self._lock:
            self._data.pop(key, None)


class RedisTokenStore:
    """Redis store shared by all workers; entries carry a TTL so Redis drops stale tokens."""

    def __init__(self, redis_client: Any, prefix: str = "linli:wechat:") -> None:
        self._redis = redis_client
        self._prefix = prefix

    def get(self, key: str) -> tuple[str, float] | None:
        """Return (token, expires_at), or None when missing or expired."""
        raw = self._redis.get(self._prefix + key)
        if raw is None:
            return None
        entry = json.loads(raw)  # accepts bytes or str, whatever decode_responses says
        if entry["expires_at"] <= time.time():
            return None
        return entry["token"], float(entry["expires_at"])

    def set(self, key: str, token: str, expires_at: float) -> None:
        """Store a token with a TTL matching its expiry."""
        ttl_ms = int((expires_at - time.time()) * 1000)
        if ttl_ms <= 0:
            self.delete(key)
            return
        value = json.dumps({"token": token, "expires_at": float(expires_at)})
        self._redis.set(self._prefix + key, value, px=ttl_ms)

    def delete(self, key: str) -> None:
        """Forget a token."""
        self._redis.delete(self._prefix + key)
