"""Real processes for the integration tests: a private Redis we may stop, and `python -m backend.worker`.

The Redis is our own (a free port, no persistence), so stopping it never disturbs anything else
using the shared one. Waiting here is for another process to catch up, never for a deadline to pass:
deadlines are moved by writing timestamps.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 60.0, every: float = 0.1, what="condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds.

    `what` names the condition in the failure (a callable is asked then, e.g. for a log's last lines).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
        time.sleep(every)


class RedisServer:
    """A throwaway redis-server on a free port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        conn = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for(lambda: _pings(conn), timeout=10, what="redis to start")
        conn.close()

    def stop(self) -> None:
        """Stop without saving, as `redis-cli shutdown nosave` would: queued jobs are lost."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _pings(conn) -> bool:
    import redis

    try:
        return bool(conn.ping())
    except redis.exceptions.ConnectionError:
        return False


def session_members(session_id: int) -> list[int]:
    """Ids of the processes in a session (Linux /proc); the session leader first."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Fields after the parenthesised command name: state, ppid, pgrp, session, …
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session_id:
            members.append(int(entry.name))
    return sorted(members, key=lambda pid: pid != session_id)


class WorkerProcess:
    """`python -m backend.worker` (RQ worker with scheduler, plus the sweeps) in a session of its own."""

    def __init__(self, database_url: str, redis_url: str, media_root: Path, log: Path):
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LINLI_ENV": "testing",
                    "MEDIA_ROOT": str(media_root), "SWEEP_INTERVAL": "0.5",
                    "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.kill()  # a previous run of this worker, should it have exited, leaves no scheduler behind
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "backend.worker"], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker, its work horse and its scheduler: whatever job was running dies half-done.

        RQ's scheduler moves to a process group of its own, so the whole session is killed, not the group.
        """
        if self.process is not None:
            for pid in session_members(self.process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(timeout=10)
            self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
