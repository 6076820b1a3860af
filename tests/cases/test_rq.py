"""Routing through a real Redis with RQ: after commit, at least once, and surviving Redis being down."""
from __future__ import annotations

import sqlalchemy as sa
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from backend.cases.models import Case
from backend.core import jobs
from backend.core.models import OutboxEntry
from backend.extensions import db
from tests.cases.factories import assignments, case_row, inbox, make_district, make_resident, submit
from tests.factories import login


def work(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_a_submitted_case_is_routed_by_an_rq_worker_once(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        client = app.test_client()
        district = make_district()
        make_resident("alice", district.grids[0])
        case = submit(client, login(client, "alice"))
        queue = app.extensions["linli_queue"]
        route = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.like("%route_case")))
        assert f"outbox-{route.id}" in queue.job_ids
        assert case_row(case["id"]).status == "submitted"  # nothing runs in the API process
        work(queue)
        assert case_row(case["id"]).assignee_id == district.workers[0].id
        # The accept deadline waits in RQ's scheduler.
        timer = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.like("%check_accept_deadline")))
        assert f"outbox-{timer.id}" in ScheduledJobRegistry(queue=queue).get_job_ids()
        # At-least-once: the same job delivered again changes nothing.
        queue.enqueue("backend.core.jobs.run_outbox_entry", route.id)
        work(queue)
        assert len(assignments(case["id"])) == 1 and len(inbox(district.workers[0], "case_assigned")) == 1


def test_submissions_succeed_while_redis_is_down_and_are_routed_when_it_is_back(make_app, redis_url):
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0", OUTBOX_RETRY_AFTER=0)
    with down.app_context():
        client = down.test_client()
        district = make_district()
        make_resident("alice", district.grids[0])
        ids = [submit(client, login(client, "alice"))["id"] for _ in range(3)]
        assert {case_row(i).status for i in ids} == {"submitted"}
        worker_id = district.workers[0].id
    back = make_app(REDIS_URL=redis_url, OUTBOX_RETRY_AFTER=0)
    with back.app_context():
        assert jobs.sweep_outbox() >= 3  # the sweeper hands the durable outbox rows to RQ
        work(back.extensions["linli_queue"])
        rows = [db.session.get(Case, i) for i in ids]
        assert all(r.status == "assigned" for r in rows)
        assert {len(assignments(i)) for i in ids} == {1}
        assert rows[0].assignee_id == worker_id


def test_a_backlog_waiting_in_rq_is_not_dispatched_again(make_app, redis_url):
    """Cases queued longer than the retry window are still waiting, not lost: the sweeper leaves them be."""
    app = make_app(REDIS_URL=redis_url, OUTBOX_RETRY_AFTER=0)
    with app.app_context():
        client = app.test_client()
        district = make_district()
        make_resident("alice", district.grids[0])
        ids = [submit(client, login(client, "alice"))["id"] for _ in range(3)]
        queue = app.extensions["linli_queue"]
        assert queue.count == 3
        assert jobs.sweep_outbox() == 0 and queue.count == 3  # no second copy of a waiting job
        queue.connection.flushdb()  # now they are really lost
        assert jobs.sweep_outbox() == 3
        work(queue)
        assert {len(assignments(i)) for i in ids} == {1}
