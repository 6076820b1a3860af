"""The job layer: `enqueue(job, *ids)` over a transactional outbox.

`enqueue` writes an outbox row in the caller's transaction. When that transaction commits, the
row is dispatched: to RQ when `REDIS_URL` is set, otherwise run in-process right after the request
(or on `drain()`). A sweeper re-dispatches rows not done after `OUTBOX_RETRY_AFTER` seconds, so a
lost enqueue, a dead worker or a Redis restart delays work but never loses it. RQ delivers at least
once, so every job must be idempotent: it loads fresh state by id and returns early when done.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from datetime import timedelta
from typing import Callable

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.core.db import utcnow
from backend.core.models import JobHeartbeat, OutboxEntry
from backend.extensions import db

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
_PENDING = "linli_pending_outbox"
_inline_ready = threading.local()
_periodic: list[tuple[str, Callable[[], object]]] = []


def job(func: Callable) -> Callable:
    """Mark a function as a background job that `enqueue` may name."""
    func._linli_job = True
    return func


def periodic(name: str):
    """Register a sweep that runs every `SWEEP_INTERVAL` seconds in the worker (or embedded timer)."""
    def decorator(func):
        _periodic.append((name, func))
        return func
    return decorator


def job_name(func: Callable) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(name: str) -> Callable:
    """Import a job by its `module:function` name; only functions marked with @job resolve."""
    module, _, attr = name.partition(":")
    func = getattr(importlib.import_module(module), attr, None)
    if func is None or not getattr(func, "_linli_job", False):
        raise LookupError(f"not a job: {name}")
    return func


def enqueue(func: Callable, *args: int | str, delay: timedelta | None = None) -> OutboxEntry:
    """Record `func(*args)` to run after the current transaction commits (after `delay`, if given)."""
    if not getattr(func, "_linli_job", False):
        raise TypeError(f"{job_name(func)} is not marked with @job")
    entry = OutboxEntry(job=job_name(func), args=list(args),
                        not_before=utcnow() + delay if delay else None)
    db.session.add(entry)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append((entry.id, entry.not_before))
    return entry


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    entries = session.info.pop(_PENDING, None)
    if entries and has_app_context():
        _dispatch(entries)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _dispatch(entries: list[tuple[int, object]]) -> None:
    """Hand committed outbox rows `(id, not_before)` to RQ, or queue them for the in-process runner."""
    queue = current_app.extensions.get("linli_queue")
    now = utcnow()
    if queue is None:
        ready = getattr(_inline_ready, "ids", None)
        if ready is None:
            ready = _inline_ready.ids = []
        # Delayed work waits for the sweeper, which dispatches it once it is due.
        ready.extend(entry_id for entry_id, not_before in entries if not not_before or not_before <= now)
        return
    from rq import Retry

    for entry_id, not_before in entries:
        options = dict(job_id=f"outbox-{entry_id}", retry=Retry(max=3, interval=[5, 30, 120]))
        try:
            if not_before and not_before > now:
                queue.enqueue_at(not_before, "backend.core.jobs.run_outbox_entry", entry_id, **options)
            else:
                queue.enqueue("backend.core.jobs.run_outbox_entry", entry_id, **options)
        except Exception:  # Redis down: the sweeper dispatches it when Redis is back.
            log.warning("could not enqueue outbox entry %s; the sweeper will retry", entry_id, exc_info=True)


def drain() -> int:
    """Run every in-process job whose transaction committed; return how many ran."""
    ran = 0
    while getattr(_inline_ready, "ids", None):
        entry_id = _inline_ready.ids.pop(0)
        try:
            run_outbox_entry(entry_id)
        except Exception:
            log.exception("in-process job for outbox entry %s failed; the sweeper will retry", entry_id)
        ran += 1
    return ran


def forget_inline() -> None:
    """Drop this thread's committed in-process jobs not yet run (their outbox rows stay for the sweeper)."""
    _inline_ready.ids = []


def run_outbox_entry(entry_id: int) -> str:
    """Run one outbox entry's job and mark it done in the same transaction as the job's work."""
    with _app_context():
        entry = db.session.get(OutboxEntry, entry_id)
        if entry is None or entry.done_at is not None:
            return "already done"
        if entry.not_before and entry.not_before > utcnow():
            return "not yet"
        func, args = resolve(entry.job), list(entry.args)
        try:
            func(*args)
            db.session.execute(sa.update(OutboxEntry)
                               .where(OutboxEntry.id == entry_id, OutboxEntry.done_at.is_(None))
                               .values(done_at=utcnow(), attempts=OutboxEntry.attempts + 1, last_error=""))
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            db.session.execute(sa.update(OutboxEntry).where(OutboxEntry.id == entry_id)
                               .values(attempts=OutboxEntry.attempts + 1, last_error=repr(exc)[:500]))
            db.session.commit()
            raise
        return "done"


@periodic("outbox")
def sweep_outbox(limit: int = 200) -> int:
    """Re-dispatch outbox rows whose job has not finished a while after it was dispatched."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER"])
    due = sa.or_(OutboxEntry.not_before.is_(None), OutboxEntry.not_before <= now)
    query = (sa.select(OutboxEntry.id)
             .where(OutboxEntry.done_at.is_(None), OutboxEntry.attempts < MAX_ATTEMPTS, due,
                    sa.or_(OutboxEntry.dispatched_at.is_(None), OutboxEntry.dispatched_at < stale),
                    sa.func.coalesce(OutboxEntry.not_before, OutboxEntry.created_at) < stale)
             .order_by(OutboxEntry.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    waiting = _waiting_in_rq(ids)
    ids = [entry_id for entry_id in ids if entry_id not in waiting]
    if ids:
        db.session.execute(sa.update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(dispatched_at=now))
    db.session.commit()
    if ids:
        _dispatch([(entry_id, None) for entry_id in ids])
    return len(ids)


def _waiting_in_rq(entry_ids: list[int]) -> set[int]:
    """Entries whose RQ job still waits in Redis: under a backlog, dispatching them again would run them twice.

    A job RQ lost (Redis restarted) or that died running (a killed worker) is not waiting, so it is dispatched.
    Nor is a job a worker took off the queue and died holding: RQ moves a job to an "intermediate" list
    before it marks it started, and a worker killed in between leaves it there still marked queued, for
    RQ's own maintenance to notice only after ten minutes or more. Such an orphan is taken off that list
    and dispatched again (a live worker holds a job there for microseconds; running it twice is harmless).
    """
    queue = current_app.extensions.get("linli_queue")
    if queue is None or not entry_ids:
        return set()
    from rq.job import Job, JobStatus

    waiting = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
    try:
        found = Job.fetch_many([f"outbox-{entry_id}" for entry_id in entry_ids], connection=queue.connection)
        taken = set(queue.intermediate_queue.get_job_ids())
        result = set()
        for entry_id, rq_job in zip(entry_ids, found):
            if rq_job is None or rq_job.get_status(refresh=False) not in waiting:
                continue
            if rq_job.id in taken:
                queue.intermediate_queue.remove(rq_job.id)
                continue
            result.add(entry_id)
        return result
    except Exception:  # Redis down: nothing can be dispatched now anyway
        return set()


def run_periodic() -> None:
    """Run every registered sweep once, each in its own transaction."""
    for name, func in list(_periodic):
        try:
            func()
            record_heartbeat(f"sweep:{name}")
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("periodic sweep %s failed", name)
    drain()


@job
def record_heartbeat(name: str) -> None:
    """Count a beat for `name`: the smallest real job, used by tests and readiness."""
    beat = db.session.get(JobHeartbeat, name)
    if beat is None:
        beat = JobHeartbeat(name=name, beats=0, last_beat_at=utcnow())
        db.session.add(beat)
    beat.beats += 1
    beat.last_beat_at = utcnow()
    db.session.flush()


# --- app context for jobs running in an RQ work horse -------------------------------------------

_job_app: Flask | None = None
_job_app_pid: int | None = None


def use_app_for_jobs(app: Flask) -> None:
    """Run jobs of this process, and of work horses forked from it, with `app` instead of building one each."""
    global _job_app, _job_app_pid
    _job_app, _job_app_pid = app, os.getpid()


def _app_context():
    """Reuse the current app context, or build one app per process for RQ jobs."""
    global _job_app, _job_app_pid
    if has_app_context():
        return _NullContext()
    if _job_app is None:
        from backend.app import create_app

        _job_app, _job_app_pid = create_app(), os.getpid()
    elif _job_app_pid != os.getpid():
        # A forked work horse must not share the parent's pooled connections.
        with _job_app.app_context():
            db.engine.dispose(close=False)
        _job_app_pid = os.getpid()
    return _job_app.app_context()


class _NullContext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def start_sweeper(app: Flask, lock: Callable[[], bool] | None = None) -> threading.Thread:
    """Run the periodic sweeps every `SWEEP_INTERVAL` seconds on a daemon thread.

    `lock` (the worker passes a Redis lock) lets many processes share one sweep per interval.
    """
    interval = app.config["SWEEP_INTERVAL"]

    def loop():
        while True:
            time.sleep(interval)
            try:
                if lock is not None and not lock():
                    continue
                with app.app_context():
                    run_periodic()
            except Exception:  # Redis or the database is away: the thread must live to sweep once it is back
                log.warning("periodic sweeps skipped this interval", exc_info=True)

    thread = threading.Thread(target=loop, name="linli-sweeper", daemon=True)
    thread.start()
    return thread
