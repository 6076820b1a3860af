"""The RQ worker entry point: `python -m backend.worker [--burst] [queue …]`.

Runs `rq worker --with-scheduler` semantics (scheduled jobs and retries fire) with Linli's app
loaded, plus the periodic sweeps on a timer; a Redis lock lets any number of workers on any
number of hosts share one sweep per interval.
"""
from __future__ import annotations

import sys

from rq import Queue, SimpleWorker, Worker

from backend.app import create_app
from backend.core.jobs import start_sweeper, use_app_for_jobs
from backend.grids.service import grid_index

SWEEP_LOCK = "linli:sweep-lock"
WORKER_CLASSES = {"Worker": Worker, "SimpleWorker": SimpleWorker}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    burst = "--burst" in argv  # drain the queues and exit (tests, one-off catch-up)
    argv = [arg for arg in argv if arg != "--burst"]
    app = create_app()
    use_app_for_jobs(app)  # forked work horses inherit the built app instead of building one per job
    redis = app.extensions.get("linli_redis")
    if redis is None:
        sys.exit("REDIS_URL is not set: without Redis, jobs run inside the API process (python -m backend serve)")
    interval_ms = int(app.config["SWEEP_INTERVAL"] * 1000)
    with app.app_context():
        grid_index()  # built here, before any thread starts, so each forked work horse inherits it

    def sweep_lock() -> bool:
        return bool(redis.set(SWEEP_LOCK, "1", nx=True, px=max(interval_ms - 100, 100)))

    if not burst:
        start_sweeper(app, lock=sweep_lock)
    queues = [Queue(name, connection=redis) for name in (argv or ["default"])]
    worker_class = WORKER_CLASSES.get(app.config["RQ_WORKER_CLASS"])
    if worker_class is None:
        sys.exit(f"RQ_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}")
    worker_class(queues, connection=redis).work(with_scheduler=True, burst=burst)


if __name__ == "__main__":
    main()
