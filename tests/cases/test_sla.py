"""SLA clocks: missed accept deadlines reassign (three in a row → away), missed resolve deadlines escalate."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.cases.models import Case
from backend.core import jobs
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.extensions import db
from tests.cases.factories import (act, assignments, case_row, events, inbox, make_district, make_resident, submit,
                                   sweep)
from tests.factories import login

ACCEPT = timedelta(minutes=30)  # 路灯损坏: 30 minutes to accept, 48 hours to resolve
RESOLVE = timedelta(hours=48)


@pytest.fixture
def district(app):
    return make_district(workers=(("electrical",), ("elderly_care",)))  # one electrician


@pytest.fixture
def resident(client, district):
    make_resident("alice", district.grids[0])
    return login(client, "alice")


def test_a_missed_accept_deadline_reassigns_to_the_next_candidate(client, district, resident):
    case = submit(client, resident)
    assert case_row(case["id"]).assignee_id == district.workers[0].id
    assert sweep(utcnow() + ACCEPT - timedelta(minutes=1)) == {"reassigned": 0, "escalated": 0, "closed": 0,
                                                              "rerouted": 0}
    assert sweep(utcnow() + ACCEPT + timedelta(minutes=1))["reassigned"] == 1
    row = case_row(case["id"])
    assert row.status == "assigned" and row.assignee_id == district.leader.id and row.attempt == 2
    assert [a.end_reason for a in assignments(case["id"])] == ["accept_timeout", None]
    assert [e.text for e in events(case["id"])][2:] == ["网格员张三未在时限内受理，正在重新派单", "已派单给网格长赵网格长"]
    assert inbox(district.workers[0], "case_withdrawn")[0].title == "工单超时未受理，已转派"
    # The late worker can no longer accept it; the leader can.
    assert act(client, login(client, "worker-1"), case["id"], "accept").status_code == 403
    assert act(client, login(client, "leader"), case["id"], "accept").status_code == 200


def test_the_scheduled_timer_does_what_the_sweep_does(client, district, resident):
    case = submit(client, resident)
    timer = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.job.like("%check_accept_deadline")))
    assert timer.args == [case["id"], 1]
    assert abs(timer.not_before - case_row(case["id"]).accept_due_at) < timedelta(seconds=1)
    assert jobs.run_outbox_entry(timer.id) == "not yet"
    past = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.update(OutboxEntry).where(OutboxEntry.id == timer.id).values(not_before=past))
    db.session.execute(sa.update(Case).where(Case.id == case["id"]).values(accept_due_at=past))
    db.session.commit()
    assert jobs.run_outbox_entry(timer.id) == "done"
    jobs.drain()
    assert case_row(case["id"]).assignee_id == district.leader.id
    # The sweep finds nothing left to do, and the timer of the old attempt is moot.
    assert sweep(utcnow())["reassigned"] == 0
    assert len(assignments(case["id"])) == 2


def test_three_misses_in_a_row_mark_the_worker_away_until_they_come_back(client, district, resident):
    worker_id = district.workers[0].id
    clock = utcnow()
    for n in range(3):
        case = submit(client, resident)
        assert case_row(case["id"]).assignee_id == worker_id, n
        clock += ACCEPT + timedelta(minutes=1)
        db.session.execute(sa.update(Case).where(Case.assignee_id != worker_id).values(status="cancelled"))
        db.session.commit()  # keep the fallbacks out of the way: only the worker's deadline passes
        sweep(clock)
    assert inbox(district.workers[0], "case_worker_away")[0].title == "您已暂停接单"
    assert inbox(district.leader, "case_worker_away")[0].title == "网格员已暂停接单"
    worker = login(client, "worker-1")
    state = client.get("/api/v1/cases/availability", headers=worker).json
    assert state["away"] is True and state["missed_in_a_row"] == 3

    skipped = submit(client, resident)
    assert case_row(skipped["id"]).assignee_id == district.leader.id
    why = {c["name"]: c["why"] for c in events(skipped["id"])[1].data["candidates"]}
    assert why["张三"] == "连续超时未受理，已暂停派单"

    back = client.put("/api/v1/cases/availability", json={"away": False}, headers=worker)
    assert back.status_code == 200 and back.json["away"] is False and back.json["missed_in_a_row"] == 0
    assert case_row(submit(client, resident)["id"]).assignee_id == worker_id


def test_accepting_resets_the_misses(client, district, resident):
    worker_id = district.workers[0].id
    for _ in range(2):
        case = submit(client, resident)
        sweep(utcnow() + ACCEPT + timedelta(minutes=1))
    case = submit(client, resident)
    assert case_row(case["id"]).assignee_id == worker_id
    assert act(client, login(client, "worker-1"), case["id"], "accept").status_code == 200
    assert client.get("/api/v1/cases/availability", headers=login(client, "worker-1")).json["missed_in_a_row"] == 0


def test_a_missed_resolve_deadline_climbs_the_ladder(client, district, resident):
    case = submit(client, resident)
    assert act(client, login(client, "worker-1"), case["id"], "accept").status_code == 200
    step = RESOLVE / 2
    at = utcnow() + RESOLVE + timedelta(minutes=1)
    expected = [(1, district.leader, "leader"), (2, district.committee[0], "committee-1"),
                (3, district.street_admin, "street")]
    for level, person, openid in expected:
        assert sweep(at)["escalated"] == 1
        row = case_row(case["id"])
        assert row.escalation_level == level and row.status == "accepted"
        assert inbox(person, "case_escalated")[0].link == f"worker/pages/task/task?id={case['id']}"
        listed = client.get("/api/v1/cases?view=escalated", headers=login(client, openid)).json
        assert [c["id"] for c in listed] == [case["id"]] and listed[0]["escalation_level"] == level
        assert sweep(at)["escalated"] == 0  # the next level has its own deadline
        at += step + timedelta(minutes=1)
    assert sweep(at + timedelta(days=30))["escalated"] == 0  # the street is the top
    assert [e.text for e in events(case["id"]) if e.kind == "escalated"] == [
        "超时未办结，已升级督办至网格长", "超时未办结，已升级督办至社区", "超时未办结，已升级督办至街道"]
    # The committee of the other community heard nothing and does not see it.
    assert inbox(district.committee[1]) == []
    assert client.get("/api/v1/cases?view=escalated", headers=login(client, "committee-2")).json == []


def test_overdue_shows_in_lists_and_sorts_first(client, district, resident):
    late, fresh = submit(client, resident), submit(client, resident)
    db.session.execute(sa.update(Case).where(Case.id == late["id"]).values(resolve_due_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    listed = client.get("/api/v1/cases?view=grid", headers=login(client, "leader")).json
    assert [(c["id"], c["overdue"]) for c in listed] == [(late["id"], True), (fresh["id"], False)]
    only = client.get("/api/v1/cases?view=grid&overdue=true", headers=login(client, "leader")).json
    assert [c["id"] for c in only] == [late["id"]]


def test_manual_escalation_and_its_limit(client, district, resident):
    case = submit(client, resident)
    leader = login(client, "leader")
    for level in (1, 2, 3):
        response = act(client, leader, case["id"], "escalate", {"note": "群众反映强烈"})
        assert response.status_code == 200 and response.json["escalation_level"] == level
    assert response.json["timeline"][-1]["text"] == "网格长赵网格长督办，已升级至街道"
    refused = act(client, leader, case["id"], "escalate")
    assert refused.status_code == 409 and case_row(case["id"]).escalation_level == 3
