"""Fixtures of the case tests that run real processes: a private Redis and RQ worker processes."""
from __future__ import annotations

import os
from shutil import which

import pytest

from tests.cases.processes import RedisServer, WorkerProcess


@pytest.fixture
def private_redis(tmp_path):
    if which("redis-server") is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("redis-server is required in CI for the worker integration tests")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_factory(database_url, private_redis, tmp_path):
    workers: list[WorkerProcess] = []

    def make() -> WorkerProcess:
        worker = WorkerProcess(database_url, private_redis.url, tmp_path / "media", tmp_path / "worker.log")
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.kill()
