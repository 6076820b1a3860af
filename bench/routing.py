"""Benchmark case routing through RQ: sustained routings per second and submit-to-assigned latency.

Run from the repository root with PostgreSQL running and `redis-server` installed:
`.venv/bin/python -m bench.routing` (see bench/README.md). It uses its own database (dropped and
re-seeded with the demo district) and its own Redis on a free port, so it disturbs nothing else.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1/linli_bench_routing"
GOAL_RATE = 50.0        # cases routed per second, sustained, with 2 workers
GOAL_P99_MS = 250.0     # submit-to-assigned p99 at 20 cases/s
# Categories that need no photo, so the generator does not upload: 噪声扰民, 其他安全隐患, 上门探访.
CATEGORIES = (("incident", "noise"), ("incident", "safety_hazard"), ("service", "home_visit"))


def noop() -> None:
    """The baseline job: RQ's own cost per job (dequeue, fork, bookkeeping) and nothing else."""


# --- processes ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence."""

    def __init__(self, workdir: Path):
        self.port, self.workdir = free_port(), workdir
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        from redis import Redis

        self.connection = Redis.from_url(self.url)
        wait_until(self._answers, 10, "redis-server to start")

    def _answers(self) -> bool:
        try:
            return bool(self.connection.ping())
        except Exception:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Workers:
    """Worker processes: `python -m backend.worker` as deployed (with scheduler and sweeps), with RQ's
    forking Worker (`fork`) or its SimpleWorker (`simple`: jobs run in the worker process, no fork per
    job, database connections pooled), chosen by the RQ_WORKER_CLASS setting."""

    def __init__(self, count: int, database_url: str, redis: PrivateRedis, workdir: Path, kind: str = "fork"):
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis.url, "LOG_LEVEL": "WARNING",
               "MEDIA_ROOT": str(workdir / "media"), "PYTHONPATH": str(ROOT),
               "RQ_WORKER_CLASS": "Worker" if kind == "fork" else "SimpleWorker"}
        command = ["-m", "backend.worker"]
        self.redis = redis
        self.log = open(workdir / "workers.log", "ab")
        self.processes = [subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                           stderr=self.log, start_new_session=True) for _ in range(count)]
        from rq import Worker

        wait_until(lambda: len(Worker.all(connection=redis.connection)) >= count, 60, "workers to register")

    def stop(self) -> None:
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=30)
        from rq import Worker

        wait_until(lambda: not Worker.all(connection=self.redis.connection), 30, "workers to unregister")
        self.log.close()


def wait_until(predicate, timeout: float, what: str, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)


# --- the app, the database and the generator ----------------------------------------------------

def prepare(database_url: str, redis_url: str, workdir: Path):
    """An API app on the bench database, freshly seeded with the demo district and the catalogue."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("bench.routing needs PostgreSQL: several worker processes write at once")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()

    from backend.app import create_app
    from backend.cases.catalogue import ensure_default_categories
    from backend.demo import seed_demo
    from backend.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, "DEV_LOGIN": True,
                      "WECHAT_APPID": "", "WECHAT_SECRET": "", "LINLI_ENV": "testing", "LOG_LEVEL": "WARNING",
                      "MEDIA_ROOT": str(workdir / "media"), "CASES_PER_HOUR": 1_000_000})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        ensure_default_categories()
        db.session.commit()
    return app


class Generator:
    """Submits cases through the API (the test client: the whole request path, no HTTP server)."""

    def __init__(self, app, residents: int = 50, seed: int = 1):
        from backend.demo import EAST, NORTH, SOUTH, WEST

        self.app, self.client, self.rng = app, app.test_client(), random.Random(seed)
        self.bounds = (WEST, SOUTH, EAST, NORTH)
        self.headers = []
        for n in range(1, residents + 1):
            response = self.client.post("/api/v1/auth/wechat-login", json={"code": f"dev:demo-resident-{n}"})
            self.headers.append({"Authorization": f"Bearer {response.json['access_token']}"})

    def submit(self) -> int:
        west, south, east, north = self.bounds
        kind, code = self.rng.choice(CATEGORIES)
        body = {"kind": kind, "category_code": code, "description": "性能测试：噪声与安全隐患",
                "lat": round(self.rng.uniform(south + 0.001, north - 0.001), 6),
                "lng": round(self.rng.uniform(west + 0.001, east - 0.001), 6)}
        response = self.client.post("/api/v1/cases", json=body, headers=self.rng.choice(self.headers))
        if response.status_code != 201:
            raise SystemExit(f"submission refused: {response.status_code} {response.json}")
        return response.json["id"]


def routing_times(case_ids: list[int]) -> list[tuple[datetime, datetime]]:
    """(submitted, assignment committed) per case: the case's created_at and its route job's done mark."""
    from backend.cases.models import Case
    from backend.core.models import OutboxEntry
    from backend.extensions import db

    db.session.rollback()
    created = dict(db.session.execute(sa.select(Case.id, Case.created_at).where(Case.id.in_(case_ids))).all())
    done = {}
    for args, done_at in db.session.execute(sa.select(OutboxEntry.args, OutboxEntry.done_at).where(
            OutboxEntry.job == "backend.cases.jobs:route_case", OutboxEntry.done_at.is_not(None))):
        if args[0] in created:
            done[args[0]] = done_at
    return [(created[i], done[i]) for i in case_ids if i in done]


def routed_count(case_ids: list[int]) -> int:
    from backend.cases.models import Case
    from backend.extensions import db

    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Case.id)).where(Case.id.in_(case_ids),
                                                                     Case.status != "submitted"))


# --- the measurements ---------------------------------------------------------------------------

def measure_noop(redis: PrivateRedis, database_url: str, workdir: Path, workers: int, jobs: int, kind: str) -> dict:
    """Jobs per second of a no-op job: all queued first, then `workers` workers drain them."""
    from rq import Queue
    from rq.job import Job

    queue = Queue("default", connection=redis.connection)
    queued = queue.enqueue_many([Queue.prepare_data("bench.routing.noop", result_ttl=600) for _ in range(jobs)])
    pool = Workers(workers, database_url, redis, workdir, kind)
    ids = [job.id for job in queued]
    wait_until(lambda: all(job and job.is_finished for job in Job.fetch_many(ids[-20:], connection=redis.connection))
               and queue.count == 0, 600, "no-op jobs")
    finished = [job for job in Job.fetch_many(ids, connection=redis.connection) if job and job.ended_at]
    pool.stop()
    ends = sorted(job.ended_at for job in finished)
    span = (ends[-1] - ends[0]).total_seconds()
    return {"workers": workers, "jobs": len(finished), "seconds": round(span, 3),
            "per_second": round((len(ends) - 1) / span, 1)}


def measure_throughput(app, generator: Generator, redis, database_url, workdir, workers: int, cases: int,
                       kind: str) -> dict:
    """Cases routed per second: `cases` submitted with no worker running, then `workers` workers drain them."""
    with app.app_context():
        ids = [generator.submit() for _ in range(cases)]
        pool = Workers(workers, database_url, redis, workdir, kind)
        wait_until(lambda: routed_count(ids) == cases, 900, "routing", every=0.2)
        pool.stop()
        done = sorted(d for _, d in routing_times(ids))
    span = (done[-1] - done[0]).total_seconds()
    return {"workers": workers, "cases": cases, "seconds": round(span, 3), "per_second": round((cases - 1) / span, 1)}


def measure_latency(app, generator: Generator, redis, database_url, workdir, workers: int, rate: float,
                    duration: float, kind: str) -> dict:
    """Submit-to-assigned latency with cases arriving at a fixed rate (open loop: on schedule, not on reply)."""
    with app.app_context():
        pool = Workers(workers, database_url, redis, workdir, kind)
        count, late = int(rate * duration), 0
        ids = []
        start = time.perf_counter()
        for n in range(count):
            wait = start + n / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                late += 1
            ids.append(generator.submit())
        offered = count / (time.perf_counter() - start)
        wait_until(lambda: routed_count(ids) == count, 600, "routing", every=0.2)
        pool.stop()
        latencies = sorted((done - created).total_seconds() * 1000 for created, done in routing_times(ids))
    return {"workers": workers, "rate": rate, "offered_rate": round(offered, 1), "cases": count,
            "behind_schedule": late, "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
            "max_ms": round(latencies[-1], 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ROUTING_DATABASE_URL", DEFAULT_DATABASE),
                        help="a PostgreSQL database the benchmark may drop and re-create (default %(default)s)")
    parser.add_argument("--noop-jobs", type=int, default=1000, help="no-op jobs per worker count")
    parser.add_argument("--cases", type=int, default=1000, help="cases queued for the throughput runs")
    parser.add_argument("--rate", type=float, default=20.0, help="arrival rate for the latency runs, cases/s")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of arrivals in each latency run")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    parser.add_argument("--worker-class", choices=("simple", "fork"), default="simple",
                        help="simple: RQ's SimpleWorker, the default of `python -m backend.worker`; "
                             "fork: RQ_WORKER_CLASS=Worker, a forked work horse per job")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-routing-"))
    redis = PrivateRedis(workdir)
    try:
        started = time.perf_counter()
        app = prepare(args.database_url, redis.url, workdir)
        seeded = time.perf_counter() - started
        with app.app_context():
            generator = Generator(app)
        rows = {"noop": [], "throughput": [], "latency": []}
        for workers in counts:
            print(f"… {workers} worker(s): no-op jobs", flush=True)
            rows["noop"].append(measure_noop(redis, args.database_url, workdir, workers, args.noop_jobs,
                                             args.worker_class))
            print(f"… {workers} worker(s): {args.cases} queued cases", flush=True)
            rows["throughput"].append(measure_throughput(app, generator, redis, args.database_url, workdir, workers,
                                                         args.cases, args.worker_class))
            print(f"… {workers} worker(s): {args.rate:g} cases/s for {args.duration:g} s", flush=True)
            rows["latency"].append(measure_latency(app, generator, redis, args.database_url, workdir, workers,
                                                   args.rate, args.duration, args.worker_class))
        result = _result(args, rows, seeded, app)
    finally:
        redis.stop()
    print_table(result)
    path = RESULTS / f"routing-{args.worker_class}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return result


def _result(args, rows: dict, seeded: float, app) -> dict:
    import rq

    with app.app_context():
        from backend.extensions import db

        postgres = db.session.scalar(sa.text("SHOW server_version"))
        grids = db.session.scalar(sa.text("SELECT count(*) FROM grids"))
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    two = next((r for r in rows["throughput"] if r["workers"] == 2), None)
    two_latency = next((r for r in rows["latency"] if r["workers"] == 2), None)
    result = {
        "benchmark": "routing",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "rq": rq.__version__, "postgresql": postgres,
                    "redis": redis_version.removeprefix("v="), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "parameters": vars(args), "grids": grids, "seed_seconds": round(seeded, 1), **rows,
        "goals": {"routed_per_second_with_2_workers": GOAL_RATE, "p99_ms_at_20_per_second": GOAL_P99_MS},
    }
    result["goal_met"] = bool(two and two["per_second"] >= GOAL_RATE and two_latency
                              and (args.rate != 20 or two_latency["p99_ms"] <= GOAL_P99_MS))
    return result


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"\nrouting benchmark, {result['parameters']['worker_class']} workers: demo district ({result['grids']} grids), "
          f"PostgreSQL {m['postgresql']}, "
          f"Redis {m['redis']}, RQ {m['rq']}, Python {m['python']}, {m['cpus']} CPUs "
          f"(load {', '.join(f'{x:.1f}' for x in m['load_average'])})")
    print(f"\n{'workers':<9}{'no-op jobs/s':>14}{'routed cases/s':>16}{'offered/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}")
    for noop_row, thr, lat in zip(result["noop"], result["throughput"], result["latency"]):
        print(f"{thr['workers']:<9}{noop_row['per_second']:>14.1f}{thr['per_second']:>16.1f}{lat['offered_rate']:>11.1f}"
              f"{lat['p50_ms']:>9.1f}{lat['p99_ms']:>9.1f}{lat['max_ms']:>9.1f}")
    goals = result["goals"]
    verdict = "met" if result["goal_met"] else "NOT met"
    print(f"\ngoal ≥ {goals['routed_per_second_with_2_workers']:g} cases/s routed with 2 workers and "
          f"p99 ≤ {goals['p99_ms_at_20_per_second']:g} ms at 20 cases/s: {verdict}")


if __name__ == "__main__":
    main()
