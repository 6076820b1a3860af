"""End to end with real processes: the API (test client) writes cases, `python -m backend.worker` routes them.

- 200 cases submitted through the API are all routed to a correct worker (right grid, on duty, has the skill);
  a passed accept deadline reassigns, a passed resolve deadline escalates (the worker's sweep does both);
- the worker killed with SIGKILL mid-routing and a new one started: every case ends with exactly one
  assignment and one notification;
- Redis stopped while cases are submitted: every submission is 201, and they are routed once it is back.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import RoleAssignment
from backend.cases.catalogue import ensure_default_categories
from backend.cases.models import Case, CaseAssignment
from backend.core.db import utcnow
from backend.extensions import db
from backend.grids.models import StaffSkill
from backend.grids.service import grid_index, on_duty_among
from backend.notifications.models import Notification
from tests.cases.factories import make_resident, point_in
from tests.cases.processes import wait_for
from tests.factories import login, make_geography, make_staff

# Categories that need no photo, one per skill: 噪声扰民, 其他安全隐患, 上门探访 (a service, with a location).
KINDS = (("incident", "noise", "dispute_mediation"), ("incident", "safety_hazard", "security"),
         ("service", "home_visit", "elderly_care"))


@pytest.fixture
def live(make_app, private_redis, database_url):
    """An app on the private Redis with a staffed four-grid district: in each grid two workers on duty
    (each with two of the three skills) and one off duty with all of them, plus a leader."""
    if not database_url.startswith("postgresql"):
        # Several processes writing one SQLite file hit SQLITE_BUSY_SNAPSHOT (a read-then-write transaction
        # racing another writer fails at once, whatever the busy timeout); production is PostgreSQL.
        pytest.skip("the worker-process tests run on PostgreSQL (TEST_DATABASE_URL)")
    app = make_app(REDIS_URL=private_redis.url, CASES_PER_HOUR=10_000)
    with app.app_context():
        ensure_default_categories()
        geo = make_geography()
        for g, grid in enumerate(geo.grids):
            make_staff(f"w{g}-a", grid, skills=("dispute_mediation", "security"))
            make_staff(f"w{g}-b", grid, skills=("elderly_care", "security"))
            make_staff(f"w{g}-off", grid, skills=("dispute_mediation", "security", "elderly_care"), always_on_duty=False)
            make_staff(f"leader-{g}", grid, role="grid_leader")
            make_resident(f"resident-{g}", grid)
        yield app, geo


def submit_many(app, n: int) -> list[int]:
    client = app.test_client()
    headers = [login(client, f"resident-{g}") for g in range(4)]
    ids = []
    for i in range(n):
        g, (kind, code, _) = i % 4, KINDS[i % 3]
        point = point_in(g, dx=0.001 + 0.008 * ((i * 7) % 10) / 10, dy=0.001 + 0.008 * ((i * 3) % 10) / 10)
        response = client.post("/api/v1/cases", headers=headers[g],
                                json={"kind": kind, "category_code": code, "description": f"第 {i} 号反映", **point})
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def routed(ids: list[int]) -> int:
    db.session.rollback()  # a fresh snapshot of what the worker committed
    return db.session.scalar(sa.select(sa.func.count(Case.id)).where(Case.id.in_(ids), Case.status == "assigned"))


def unfinished(app) -> str:
    """What is left of the outbox and where RQ has it: the diagnosis when routing stalls."""
    from rq.job import Job

    from backend.core.models import OutboxEntry

    db.session.rollback()
    rows = db.session.execute(sa.select(OutboxEntry.id, OutboxEntry.job, OutboxEntry.attempts,
                                        OutboxEntry.dispatched_at, OutboxEntry.last_error)
                              .where(OutboxEntry.done_at.is_(None))).all()
    conn = app.extensions["linli_redis"]
    lines = []
    for row in rows:
        rq_job = Job.fetch_many([f"outbox-{row.id}"], connection=conn)[0]
        status = rq_job.get_status(refresh=False) if rq_job is not None else "absent"
        lines.append(f"{row.id} {row.job} attempts={row.attempts} dispatched={row.dispatched_at} rq={status} "
                     f"err={row.last_error[:200]!r}")
    return "\n".join(lines) or "no unfinished outbox rows"


def check_each_assigned_once(ids: list[int]) -> None:
    db.session.rollback()
    per_case = dict(db.session.execute(sa.select(CaseAssignment.case_id, sa.func.count(CaseAssignment.id))
                                       .where(CaseAssignment.case_id.in_(ids)).group_by(CaseAssignment.case_id)).all())
    assert per_case == {case_id: 1 for case_id in ids}
    told = dict(db.session.execute(sa.select(Notification.subject_id, sa.func.count(Notification.id))
                                   .where(Notification.kind == "case_assigned", Notification.subject_id.in_(ids))
                                   .group_by(Notification.subject_id)).all())
    assert told == {case_id: 1 for case_id in ids}


def test_200_cases_are_routed_correctly_and_deadlines_act(live, worker_factory):
    app, geo = live
    worker = worker_factory()
    worker.start()
    ids = submit_many(app, 200)
    wait_for(lambda: routed(ids) == 200, timeout=300, what=lambda: f"200 routed ({worker.tail()})")
    check_each_assigned_once(ids)

    skills = {}
    for user_id, skill in db.session.execute(sa.select(StaffSkill.user_id, StaffSkill.skill)):
        skills.setdefault(user_id, set()).add(skill)
    workers_of = {}
    for user_id, grid_id in db.session.execute(sa.select(RoleAssignment.user_id, RoleAssignment.scope_id)
                                               .where(RoleAssignment.role == "grid_worker")):
        workers_of.setdefault(grid_id, set()).add(user_id)
    index = grid_index()
    for case in db.session.scalars(sa.select(Case).where(Case.id.in_(ids))):
        assert case.grid_id == index.locate(case.lng, case.lat).grid_id  # right grid
        assert case.assignee_id in workers_of[case.grid_id]  # one of its workers
        assert case.category.skill in skills[case.assignee_id]  # with the skill
        assert on_duty_among([case.assignee_id], case.assigned_at) == {case.assignee_id}  # on duty then

    # An accept deadline passes: the worker's sweep reassigns the case to the other candidate.
    late = ids[0]
    first = db.session.get(Case, late).assignee_id
    db.session.execute(sa.update(Case).where(Case.id == late).values(accept_due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    wait_for(lambda: routed([late]) and db.session.get(Case, late).attempt == 2, timeout=30, what="reassignment")
    assert db.session.get(Case, late).assignee_id != first

    # A resolve deadline passes: it escalates to the grid leader, who is told.
    slow = ids[1]
    db.session.execute(sa.update(Case).where(Case.id == slow).values(
        status="accepted", accept_due_at=None, next_escalation_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    wait_for(lambda: (db.session.rollback(), db.session.get(Case, slow).escalation_level == 1)[1], timeout=30,
             what="escalation")
    leader_told = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.kind == "case_escalated", Notification.subject_id == slow))
    assert leader_told == 1


def test_a_worker_killed_mid_routing_loses_and_doubles_nothing(live, worker_factory):
    app, _ = live
    ids = submit_many(app, 60)  # queued in Redis; nobody is working yet
    first = worker_factory()
    first.start()
    wait_for(lambda: routed(ids) >= 10, timeout=60, what=lambda: f"routing to begin ({first.tail()})")
    first.kill()
    assert routed(ids) < 60, "the worker finished before it could be killed; submit more"
    second = worker_factory()
    second.start()
    wait_for(lambda: routed(ids) == 60, timeout=300, what=lambda: f"all routed after the kill ({unfinished(app)}\n{second.tail()})")
    check_each_assigned_once(ids)


def test_submissions_while_redis_is_down_are_routed_when_it_is_back(live, worker_factory, private_redis):
    app, _ = live
    worker = worker_factory()
    worker.start()
    warm = submit_many(app, 4)
    wait_for(lambda: routed(warm) == 4, timeout=60, what="the worker to run")
    private_redis.stop()
    ids = submit_many(app, 20)  # every one answers 201: the outbox row is in the database
    assert routed(ids) == 0
    private_redis.start()  # back, empty: whatever was queued is gone

    def all_routed() -> bool:
        if not worker.alive():  # RQ backs off while Redis is away; should it give up, a new worker takes over
            worker.start()
        return routed(ids) == 20

    # RQ's worker reconnects with an exponential backoff (up to a minute), hence the generous wait.
    wait_for(all_routed, timeout=240, what=lambda: f"routing after Redis came back ({worker.tail()})")
    check_each_assigned_once(warm + ids)
