"""Routing rules: grid, skill, duty, workload, least recently assigned, fallbacks — and assigning once."""
from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import RoleAssignment
from backend.cases import jobs as case_jobs
from backend.cases import service, sla
from backend.cases.models import Case
from backend.core import jobs
from backend.core.auth import load_actor
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.extensions import db
from backend.grids.models import Grid
from backend.grids.service import bump_geo_version
from backend.notifications.models import Notification
from tests.cases.factories import (act, assignments, case_row, events, inbox, incident, make_district, make_resident,
                                   off_duty, point_in, submit, sweep)
from tests.factories import login, make_staff, square


@pytest.fixture
def district(app):
    return make_district()


@pytest.fixture
def resident(client, district):
    make_resident("alice", district.grids[0])
    return login(client, "alice")


def assignee_of(case: dict) -> int:
    return case_row(case["id"]).assignee_id


def test_the_worker_with_the_skill_gets_it(client, district, resident):
    light = submit(client, resident)
    visit = submit(client, resident, {"kind": "service", "category_code": "home_visit", "description": "母亲独居，想请网格员上门看看"})
    assert assignee_of(light) == district.workers[0].id  # electrical
    assert assignee_of(visit) == district.workers[2].id  # elderly_care, the only one
    assert case_row(visit["id"]).grid_id == district.grids[0].id  # from the household: no point given


def test_workload_then_least_recently_assigned(client, district, resident):
    w1, w2 = district.workers[0].id, district.workers[1].id
    got = [assignee_of(submit(client, resident)) for _ in range(4)]
    # Both electricians start at 0: w1 (lower id), then w2 (fewer open), then w1 (equal, assigned longer ago)…
    assert got == [w1, w2, w1, w2]
    # w1 finishes one: now w1 has fewer open cases and gets the next even though assigned later.
    worker = login(client, "worker-1")
    first = db.session.scalar(sa.select(Case.id).where(Case.assignee_id == w1).order_by(Case.id))
    assert act(client, worker, first, "cancel").status_code == 403  # not theirs to cancel
    act(client, resident, first, "cancel")  # the resident withdraws it instead
    assert assignee_of(submit(client, resident)) == w1


def test_off_duty_workers_are_skipped_then_the_leader_takes_it(client, district, resident):
    off_duty(district.workers[0])
    assert assignee_of(submit(client, resident)) == district.workers[1].id
    off_duty(district.workers[1])
    case = submit(client, resident)
    assert assignee_of(case) == district.leader.id
    assert case_row(case["id"]).assignee_role == "grid_leader"
    decision = events(case["id"])[1].data
    assert decision["rule"] == "grid_leader"
    assert {c["name"]: c["why"] for c in decision["candidates"]} == {
        "张三": "不在值班时间", "李四": "不在值班时间", "王五": "不具备所需技能（electrical）", "赵网格长": "可派单"}


def test_the_decision_is_on_the_timeline_for_staff(client, district, resident):
    case = submit(client, resident)
    event = client.get(f"/api/v1/cases/{case['id']}", headers=login(client, "leader")).json["timeline"][1]
    assert event["text"] == "已派单给网格员张三" and event["actor"] is None
    decision = event["decision"]
    assert decision["grid"]["code"] == district.grids[0].code and decision["located_by"] == "point"
    assert decision["rule"] == "grid_worker" and decision["skill"] == "electrical"
    assert decision["chosen"] == {"user_id": district.workers[0].id, "name": "张三", "role": "grid_worker"}
    assert [c["eligible"] for c in decision["candidates"]] == [True, True, False, True]
    assert "在岗且具备技能的网格员 2 人" in decision["reason"]


def test_a_grid_without_staff_goes_to_the_community_pool(client, district):
    make_resident("bob", district.grids[3])
    case = submit(client, login(client, "bob"), incident(grid_index=3))
    row = case_row(case["id"])
    assert row.assignee_id == district.committee[1].id and row.assignee_role == "committee"
    assert events(case["id"])[1].data["rule"] == "community_pool"
    assert events(case["id"])[1].text == "已派单给社区工作人员committee-2"


def test_no_grid_at_routing_time_goes_to_the_community_pool(app, district):
    alice = make_resident("alice", district.grids[0])
    db.session.add(_photo_row(alice.id))
    db.session.commit()
    case = service.submit_case(load_actor(alice.id), {**incident(), "photo_ids": [1], "anonymous": False})
    # Before the routing job runs, the grid's boundary is redrawn elsewhere: the point is in no grid now.
    grid = db.session.get(Grid, district.grids[0].id)
    grid.boundary = square(121.50, 32.00)
    bump_geo_version()
    db.session.commit()
    jobs.drain()
    row = case_row(case.id)
    assert row.assignee_id == district.committee[0].id and row.grid_id is None
    decision = events(case.id)[1].data
    assert (decision["rule"], decision["located_by"], decision["grid"]) == ("community_pool", "none", None)
    assert decision["reason"].startswith("未找到所在网格")


def test_nobody_to_route_to_waits_for_a_person(client, district):
    db.session.execute(sa.delete(RoleAssignment).where(RoleAssignment.role.in_(("committee", "street_admin",
                                                                                 "district_admin"))))
    db.session.commit()
    make_resident("bob", district.grids[3])
    case = submit(client, login(client, "bob"), incident(grid_index=3))
    assert case_row(case["id"]).status == "submitted"
    assert events(case["id"])[-1].kind == "unassigned"
    service.route(case["id"])  # a retry records nothing new
    db.session.commit()
    assert [e.kind for e in events(case["id"])] == ["submitted", "unassigned"]


@pytest.fixture
def stuck_case(client, district):
    """A report from grid 3 (no grid staff) while its whole dispatch pool has said it is away."""
    for person in ("committee-2", "street", "admin"):
        away = client.put("/api/v1/cases/availability", json={"away": True}, headers=login(client, person))
        assert away.status_code == 200 and away.json["away"] is True
    make_resident("bob", district.grids[3])
    case = submit(client, login(client, "bob"), incident(grid_index=3))
    assert case_row(case["id"]).status == "submitted"
    return case


def timeline_texts(client, case_id: int) -> list[str]:
    """The timeline as the reporter reads it."""
    return [e["text"] for e in client.get(f"/api/v1/cases/{case_id}", headers=login(client, "bob")).json["timeline"]]


def test_nobody_to_route_to_tells_the_committee_once(client, district, stuck_case):
    assert timeline_texts(client, stuck_case["id"]) == ["居民提交了事件：路灯损坏", "暂无可派单人员，等待人工派单"]
    [told] = inbox(district.committee[1], "case_unrouted")
    assert told.title == "工单无人可派，请人工派单" and told.link == f"worker/pages/task/task?id={stuck_case['id']}"
    assert "等待人工派单" in told.body
    assert inbox(district.committee[0], "case_unrouted") == []  # another community's committee


def test_the_sweep_retries_routing_and_records_only_what_changed(client, app, district, stuck_case):
    case_id, started = stuck_case["id"], utcnow()
    retry = timedelta(seconds=app.config["ROUTING_RETRY_AFTER"])

    assert sweep(started + retry / 2)["rerouted"] == 0  # too soon after the last attempt
    assert sweep(started + retry * 2)["rerouted"] == 0  # retried: nothing changed, nothing written
    assert sweep(started + retry * 4)["rerouted"] == 0
    assert [e.kind for e in events(case_id)] == ["submitted", "unassigned"]

    newcomer = make_staff("new-worker", district.grids[3], skills=("plumbing",))
    assert sweep(started + retry * 6)["rerouted"] == 1  # a new candidate, not a fit: a new reason on the timeline
    assert sweep(started + retry * 8)["rerouted"] == 0
    assert timeline_texts(client, case_id)[1:] == ["暂无可派单人员，等待人工派单", "再次派单，仍暂无可派单人员，等待人工派单"]
    decision = events(case_id)[-1].data
    assert {c["user_id"]: c["why"] for c in decision["candidates"]}[newcomer.id] == "不具备所需技能（electrical）"
    assert case_row(case_id).status == "submitted"

    back = client.put("/api/v1/cases/availability", json={"away": False}, headers=login(client, "committee-2"))
    assert back.status_code == 200
    assert sweep(started + retry * 10)["rerouted"] == 1
    row = case_row(case_id)
    assert (row.status, row.assignee_id, row.attempt) == ("assigned", district.committee[1].id, 1)
    assert events(case_id)[-1].data["rule"] == "community_pool"
    assert timeline_texts(client, case_id)[-1] == "已派单给社区工作人员committee-2"
    assert len(inbox(district.committee[1], "case_unrouted")) == 1  # told once, however many retries
    assert len(inbox(district.committee[1], "case_assigned")) == 1
    assert sweep(started + retry * 12)["rerouted"] == 0 and len(assignments(case_id)) == 1


def test_the_retry_waits_for_the_configured_time(client, app, district, request):
    app.config["ROUTING_RETRY_AFTER"] = 600
    stuck_case = request.getfixturevalue("stuck_case")  # its retry is set when routing finds nobody
    client.put("/api/v1/cases/availability", json={"away": False}, headers=login(client, "street"))

    assert sweep(utcnow() + timedelta(minutes=9))["rerouted"] == 0
    assert case_row(stuck_case["id"]).status == "submitted"
    assert sweep(utcnow() + timedelta(minutes=11))["rerouted"] == 1
    assert case_row(stuck_case["id"]).assignee_id == district.street_admin.id


def test_a_stuck_case_is_retried_once_per_retry_interval_not_every_sweep(app, district, stuck_case):
    case_id, first_retry_at = stuck_case["id"], case_row(stuck_case["id"]).routing_retry_at
    retry, interval = timedelta(seconds=app.config["ROUTING_RETRY_AFTER"]), timedelta(seconds=5)
    started = first_retry_at - retry  # when routing found nobody
    assert case_row(case_id).updated_at <= started

    retried_at, retry_at = [], first_retry_at
    for k in range(1, 40):  # a sweep every 5 s for 195 s
        at = started + interval * k
        assert sweep(at)["rerouted"] == 0  # nobody for the same reasons: nothing on the timeline
        if case_row(case_id).routing_retry_at != retry_at:
            retry_at = case_row(case_id).routing_retry_at
            assert retry_at == at + retry
            retried_at.append(k)
    assert retried_at == [12, 24, 36]  # once a minute, not 39 times
    assert [e.kind for e in events(case_id)] == ["submitted", "unassigned"]
    assert case_row(case_id).updated_at <= started  # a retry that learns nothing is not an update


def test_every_stuck_case_gets_its_turn_when_more_are_stuck_than_a_sweep_takes(client, app, district, stuck_case,
                                                                                 monkeypatch):
    bob = login(client, "bob")
    case_ids = [stuck_case["id"]] + [submit(client, bob, incident(grid_index=3))["id"] for _ in range(4)]
    assert {case_row(case_id).status for case_id in case_ids} == {"submitted"}
    monkeypatch.setattr(sla, "waiting_for_routing", partial(sla.waiting_for_routing, limit=2))
    retry = timedelta(seconds=app.config["ROUTING_RETRY_AFTER"])
    at = max(case_row(case_id).routing_retry_at for case_id in case_ids)  # all due

    for k in range(3):  # 5 cases, 2 a sweep: 3 sweeps reach them all, oldest due first
        sweep(at + timedelta(seconds=5 * k))
    retried = {case_id: case_row(case_id).routing_retry_at for case_id in case_ids}
    assert [retried[case_id] - retry for case_id in case_ids] == [at, at, at + timedelta(seconds=5),
                                                                   at + timedelta(seconds=5), at + timedelta(seconds=10)]

    # Someone is back: every one of them is assigned over the next sweeps, still two at a time.
    client.put("/api/v1/cases/availability", json={"away": False}, headers=login(client, "committee-2"))
    assert [sweep(at + retry + timedelta(seconds=5 * k))["rerouted"] for k in range(4)] == [2, 2, 1, 0]
    rows = [case_row(case_id) for case_id in case_ids]
    assert {(row.status, row.assignee_id, row.routing_retry_at) for row in rows} == {
        ("assigned", district.committee[1].id, None)}


def test_a_case_whose_routing_job_was_lost_is_routed_by_the_sweep(app, district):
    alice = make_resident("alice", district.grids[0])
    db.session.add(_photo_row(alice.id))
    db.session.commit()
    case = service.submit_case(load_actor(alice.id), {**incident(), "photo_ids": [1], "anonymous": False})
    db.session.execute(sa.delete(OutboxEntry).where(OutboxEntry.job.like("%route_case")))
    db.session.commit()
    retry = timedelta(seconds=app.config["ROUTING_RETRY_AFTER"])
    assert case_row(case.id).routing_retry_at is None  # routing never ran

    assert sweep(case.created_at + retry / 2)["rerouted"] == 0
    assert sweep(case.created_at + retry)["rerouted"] == 1
    assert case_row(case.id).assignee_id == district.workers[0].id


def test_an_assignment_racing_the_unrouted_record_writes_nothing(client, district, stuck_case):
    """A supervisor assigns the case while a routing run that found nobody is about to record it."""
    case_id = stuck_case["id"]
    make_staff("new-worker", district.grids[3], skills=("plumbing",))  # so this run's outcome is news
    street = db.session.scalar(sa.select(RoleAssignment.user_id).where(RoleAssignment.role == "street_admin"))
    service.reassign_case(load_actor(street), case_id, district.committee[1].id, "我来安排")
    # The routing run's view of the row, read before the supervisor committed.
    stale = db.session.get(Case, case_id)
    set_committed_value(stale, "status", "submitted")
    set_committed_value(stale, "attempt", 0)
    set_committed_value(stale, "assignee_id", None)
    assert service.route(case_id) is False
    db.session.commit()
    row = case_row(case_id)
    assert (row.status, row.assignee_id, row.attempt, row.routing_retry_at) == ("assigned", district.committee[1].id,
                                                                               1, None)
    assert [e.kind for e in events(case_id)] == ["submitted", "unassigned", "reassigned"]
    assert len(inbox(district.committee[1], "case_unrouted")) == 1  # from when it was stuck, not from this run


def test_a_routing_job_that_runs_twice_assigns_and_notifies_once(client, district, resident):
    case = submit(client, resident)
    entry = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.like("%route_case")))
    assert entry.done_at is not None
    # RQ delivered it again, and the job itself is called again past the outbox's done mark.
    assert jobs.run_outbox_entry(entry.id) == "already done"
    case_jobs.route_case(case["id"])
    db.session.commit()
    assert len(assignments(case["id"])) == 1
    assert len(inbox(district.workers[0], "case_assigned")) == 1
    assert [e.kind for e in events(case["id"])].count("assigned") == 1


def test_two_routing_runs_that_both_saw_it_unassigned_assign_once(app, district):
    """The conditional update: a run that read the case before the other committed writes nothing."""
    alice = make_resident("alice", district.grids[0])
    db.session.add(_photo_row(alice.id))
    db.session.commit()
    case = service.submit_case(load_actor(alice.id), {**incident(), "photo_ids": [1], "anonymous": False})
    jobs.drain()
    assert case_row(case.id).status == "assigned"
    # The slower run's view of the row: still submitted, attempt 0 (as loaded, not as a change to write).
    stale = db.session.get(Case, case.id)
    set_committed_value(stale, "status", "submitted")
    set_committed_value(stale, "attempt", 0)
    service.route(case.id)
    db.session.commit()
    assert len(assignments(case.id)) == 1 and case_row(case.id).attempt == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind == "case_assigned")) == 1
    assert [e.kind for e in events(case.id)] == ["submitted", "assigned"]


def test_routing_a_point_on_a_border_is_deterministic(client, district, resident):
    # Grids 0 and 1 share the edge lng 120.61: the smaller code (grid 0) wins, on every process.
    case = submit(client, resident, incident(**point_in(0, dx=0.01)))
    assert case_row(case["id"]).grid_id == district.grids[0].id


def _photo_row(owner_id: int):
    from backend.media.models import MediaFile

    return MediaFile(id=1, owner_id=owner_id, storage_key="k1.jpg", thumbnail_key="t1.jpg", content_type="image/jpeg",
                     width=10, height=10, size=100, sha256="0" * 64)


def test_json_decision_is_plain_data(client, district, resident):
    case = submit(client, resident)
    json.dumps(events(case["id"])[1].data)
