"""The job layer both ways: in-process after commit, and through a real Redis with RQ."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry

from backend.core import jobs
from backend.core.db import utcnow
from backend.core.models import JobHeartbeat, OutboxEntry
from backend.extensions import db


@jobs.job
def failing_job(name: str) -> None:
    """A job that always fails, to see failures recorded."""
    raise RuntimeError(f"boom {name}")


def beats(name: str) -> int:
    beat = db.session.get(JobHeartbeat, name)
    db.session.expire_all()
    return beat.beats if beat else 0


def test_inline_job_runs_after_commit_not_before(app):
    entry = jobs.enqueue(jobs.record_heartbeat, "inline")
    assert beats("inline") == 0
    db.session.commit()
    assert jobs.drain() == 1
    assert beats("inline") == 1
    assert db.session.get(OutboxEntry, entry.id).done_at is not None


def test_rolled_back_work_enqueues_nothing(app):
    jobs.enqueue(jobs.record_heartbeat, "rolled-back")
    db.session.rollback()
    assert jobs.drain() == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxEntry.id))) == 0
    assert beats("rolled-back") == 0


def test_job_runs_inline_at_the_end_of_a_request(app):
    @app.post("/test-enqueue")
    def enqueue_view():
        jobs.enqueue(jobs.record_heartbeat, "request")
        db.session.commit()
        return {"ok": True}

    assert app.test_client().post("/test-enqueue").status_code == 200
    assert beats("request") == 1


def test_running_a_done_entry_again_does_nothing(app):
    entry = jobs.enqueue(jobs.record_heartbeat, "twice")
    db.session.commit()
    jobs.drain()
    assert jobs.run_outbox_entry(entry.id) == "already done"
    assert beats("twice") == 1


def test_sweeper_redispatches_lost_work(app):
    entry = jobs.enqueue(jobs.record_heartbeat, "lost")
    db.session.commit()
    jobs._inline_ready.ids.clear()  # the process died before running it
    assert jobs.sweep_outbox() == 0  # too recent: the first dispatch may still be running
    db.session.execute(sa.update(OutboxEntry).values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert jobs.sweep_outbox() == 1
    jobs.drain()
    assert beats("lost") == 1
    assert db.session.get(OutboxEntry, entry.id).done_at is not None


def test_failures_are_recorded_and_left_for_retry(app):
    entry = jobs.enqueue(failing_job, "x")
    db.session.commit()
    jobs.drain()
    db.session.expire_all()
    stored = db.session.get(OutboxEntry, entry.id)
    assert stored.done_at is None and stored.attempts == 1 and "boom x" in stored.last_error


def test_delayed_job_waits_until_due(app):
    entry = jobs.enqueue(jobs.record_heartbeat, "later", delay=timedelta(minutes=5))
    db.session.commit()
    assert jobs.drain() == 0
    assert jobs.run_outbox_entry(entry.id) == "not yet"
    assert beats("later") == 0


def test_only_marked_functions_are_jobs(app):
    try:
        jobs.enqueue(beats, "nope")
    except TypeError:
        pass
    else:
        raise AssertionError("an unmarked function was enqueued")


# --- through Redis ------------------------------------------------------------------------------

def test_rq_job_runs_in_a_worker_after_commit(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        queue = app.extensions["linli_queue"]
        entry = jobs.enqueue(jobs.record_heartbeat, "rq")
        assert queue.count == 0  # nothing leaves before the commit
        db.session.commit()
        assert queue.job_ids == [f"outbox-{entry.id}"]
        assert beats("rq") == 0
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert beats("rq") == 1
        assert db.session.get(OutboxEntry, entry.id).done_at is not None

        # RQ is at-least-once: the same job delivered again changes nothing.
        queue.enqueue("backend.core.jobs.run_outbox_entry", entry.id)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert beats("rq") == 1


def test_rq_delayed_job_is_scheduled(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        queue = app.extensions["linli_queue"]
        entry = jobs.enqueue(jobs.record_heartbeat, "rq-later", delay=timedelta(minutes=10))
        db.session.commit()
        assert queue.count == 0
        assert f"outbox-{entry.id}" in ScheduledJobRegistry(queue=queue).get_job_ids()


def test_rq_sweeper_requeues_when_redis_lost_the_job(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, OUTBOX_RETRY_AFTER=0)
    with app.app_context():
        queue = app.extensions["linli_queue"]
        jobs.enqueue(jobs.record_heartbeat, "rq-lost")
        db.session.commit()
        queue.connection.flushdb()  # Redis restarted without persistence
        assert jobs.sweep_outbox() == 1
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert beats("rq-lost") == 1


def test_rq_sweeper_requeues_a_job_a_dead_worker_took_off_the_queue(make_app, redis_url):
    """A worker moves a job to RQ's intermediate list before marking it started; killed in between, the job
    stays marked queued though no queue holds it. The sweeper must see through that and dispatch it again."""
    app = make_app(REDIS_URL=redis_url, OUTBOX_RETRY_AFTER=0)
    with app.app_context():
        queue = app.extensions["linli_queue"]
        entry = jobs.enqueue(jobs.record_heartbeat, "rq-orphan")
        db.session.commit()
        job_id = f"outbox-{entry.id}"
        queue.connection.lmove(queue.key, queue.intermediate_queue_key)  # what a worker's dequeue does first
        assert queue.job_ids == [] and queue.fetch_job(job_id).get_status() == "queued"

        assert jobs.sweep_outbox() == 1
        assert queue.job_ids == [job_id]
        assert queue.intermediate_queue.get_job_ids() == []
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert beats("rq-orphan") == 1


def test_rq_sweeper_leaves_a_job_that_is_still_queued(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, OUTBOX_RETRY_AFTER=0)
    with app.app_context():
        queue = app.extensions["linli_queue"]
        entry = jobs.enqueue(jobs.record_heartbeat, "rq-backlog")
        db.session.commit()
        assert jobs.sweep_outbox() == 0  # a backlog, not a loss: dispatching again would run it twice
        assert queue.job_ids == [f"outbox-{entry.id}"]


def test_commit_succeeds_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        entry = jobs.enqueue(jobs.record_heartbeat, "redis-down")
        db.session.commit()  # must not raise: the outbox row is durable, the sweeper retries
        assert db.session.get(OutboxEntry, entry.id).done_at is None


def test_worker_queue_is_the_apps(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    assert isinstance(app.extensions["linli_queue"], Queue)
    with app.app_context():
        assert app.test_client().get("/readyz").json["checks"] == {"database": "ok", "redis": "ok"}


def test_the_worker_process_runs_jobs_with_the_app(make_app, redis_url, database_url):
    """`python -m backend.worker` — a forking RQ worker that builds the app from the environment."""
    import os
    import subprocess
    import sys

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        jobs.enqueue(jobs.record_heartbeat, "worker-process")
        db.session.commit()
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LINLI_ENV": "testing"}
        done = subprocess.run([sys.executable, "-m", "backend.worker", "--burst"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        assert beats("worker-process") == 1
