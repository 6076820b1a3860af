"""The lifecycle through the API: every transition, and every illegal one refused with nothing changed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backend.cases.models import Case
from backend.core.db import utcnow
from backend.extensions import db
from tests.cases.factories import (act, assignments, case_row, events, inbox, make_district, make_resident,
                                   photo, row_counts, submit, sweep)
from tests.factories import login


@pytest.fixture
def district(app):
    return make_district()


@pytest.fixture
def alice(district):
    return make_resident("alice", district.grids[0])


def test_the_whole_way_from_report_to_rating(client, district, alice):
    resident, worker = login(client, "alice"), login(client, "worker-1")
    case = submit(client, resident)
    assert case["status"] == "submitted" and case["actions"] == ["cancel"]

    # Routing ran after the request: the worker with the skill and the least workload got it.
    routed = client.get(f"/api/v1/cases/{case['id']}", headers=resident).json
    assert routed["status"] == "assigned" and routed["assignee"]["name"] == "张三"
    assert routed["timeline"][-1]["text"] == "已派单给网格员张三"
    assert routed["timeline"][-1]["decision"] is None  # the routing detail is for staff

    accepted = act(client, worker, case["id"], "accept")
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"] == "accepted" and accepted.json["actions"] == ["start", "return"]
    assert act(client, worker, case["id"], "start").json["status"] == "in_progress"
    after = photo(client, worker)
    resolved = act(client, worker, case["id"], "resolve", {"note": "已更换灯泡", "photo_ids": [after]})
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["status"] == "resolved"

    seen = client.get(f"/api/v1/cases/{case['id']}", headers=resident).json
    assert seen["actions"] == ["confirm", "reopen"]
    assert seen["timeline"][-1]["photos"][0]["id"] == after
    assert client.get(seen["timeline"][-1]["photos"][0]["url"], headers=resident).status_code == 200

    closed = act(client, resident, case["id"], "confirm")
    assert closed.json["status"] == "closed" and closed.json["actions"] == ["rate"]
    rated = act(client, resident, case["id"], "rate", {"score": 5, "comment": "很及时"})
    assert rated.json["rating"]["score"] == 5 and rated.json["actions"] == []

    texts = [e["text"] for e in rated.json["timeline"]]
    assert texts == ["居民提交了事件：路灯损坏", "已派单给网格员张三", "网格员张三已受理", "网格员张三开始处理",
                     "网格员张三已处理完毕，请确认是否解决", "居民确认问题已解决，工单已结案", "居民评价：5 星"]
    steps = [(e["from_status"], e["to_status"]) for e in rated.json["timeline"]]
    assert steps[:6] == [(None, "submitted"), ("submitted", "assigned"), ("assigned", "accepted"),
                         ("accepted", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")]
    # The worker heard about the task and the feedback; the resident about each step.
    assert [n.kind for n in inbox(district.workers[0])] == ["case_assigned", "case_feedback", "case_feedback"]
    assert [n.title for n in inbox(alice)] == ["您反映的问题已受理", "您反映的问题已处理"]
    assert inbox(alice)[0].link == f"pages/cases/detail/detail?id={case['id']}"
    assert inbox(district.workers[0])[0].link == f"worker/pages/task/task?id={case['id']}"


ILLEGAL = {
    # status: actions the state does not allow (by the person who could otherwise take them)
    "assigned": [("worker", "start"), ("worker", "resolve"), ("resident", "confirm"), ("resident", "reopen"),
                 ("resident", "rate")],
    "accepted": [("worker", "accept"), ("worker", "resolve"), ("resident", "cancel"), ("resident", "confirm")],
    "in_progress": [("worker", "accept"), ("worker", "start"), ("worker", "return"), ("resident", "cancel"),
                    ("resident", "rate")],
    "resolved": [("worker", "accept"), ("worker", "start"), ("worker", "resolve"), ("worker", "return"),
                 ("resident", "cancel"), ("resident", "rate")],
    "closed": [("worker", "accept"), ("worker", "resolve"), ("resident", "cancel"), ("resident", "confirm"),
               ("resident", "reopen"), ("leader", "reassign"), ("leader", "escalate")],
    "cancelled": [("worker", "accept"), ("resident", "cancel"), ("resident", "confirm"), ("resident", "rate"),
                  ("leader", "escalate")],
}
BODIES = {"return": {"reason": "not_my_grid"}, "resolve": {"note": "好了", "photo_ids": []},
          "reopen": {"note": "还是不亮"}, "rate": {"score": 3}, "reassign": {"assignee_id": 1}}


def _bring_to(client, district, status: str) -> int:
    resident, worker = login(client, "alice"), login(client, "worker-1")
    case_id = submit(client, resident)["id"]
    steps = {"accepted": ["accept"], "in_progress": ["accept", "start"], "resolved": ["accept", "start", "resolve"],
             "closed": ["accept", "start", "resolve", "confirm"], "cancelled": ["cancel"]}.get(status, [])
    for step in steps:
        who = resident if step in ("confirm", "cancel") else worker
        body = {"note": "已处理", "photo_ids": [photo(client, worker)]} if step == "resolve" else {}
        assert act(client, who, case_id, step, body).status_code == 200, step
    assert case_row(case_id).status == status
    return case_id


@pytest.mark.parametrize("status", sorted(ILLEGAL))
def test_illegal_transitions_are_409_and_change_nothing(client, district, alice, status):
    case_id = _bring_to(client, district, status)
    headers = {"worker": login(client, "worker-1"), "resident": login(client, "alice"),
               "leader": login(client, "leader")}
    for who, action in ILLEGAL[status]:
        before = row_counts()
        snapshot = _state(case_id)
        body = dict(BODIES.get(action, {}))
        if action == "reassign":
            body["assignee_id"] = district.workers[1].id
        response = act(client, headers[who], case_id, action, body)
        assert response.status_code == 409, (status, who, action, response.json)
        assert response.json["reason"] in ("invalid_transition", "already_rated"), response.json
        assert response.json["message"]
        assert row_counts() == before and _state(case_id) == snapshot, (status, action)


def _state(case_id: int) -> tuple:
    case = case_row(case_id)
    return (case.status, case.assignee_id, case.attempt, case.escalation_level, case.rating, case.updated_at)


def test_return_routes_again_without_the_worker(client, district, alice):
    resident, worker = login(client, "alice"), login(client, "worker-1")
    case_id = submit(client, resident)["id"]
    returned = act(client, worker, case_id, "return", {"reason": "needs_other_skill", "note": "需要电工证"})
    assert returned.status_code == 200, returned.json
    case = case_row(case_id)
    assert case.status == "assigned" and case.assignee_id == district.workers[1].id  # the next electrician
    first, second = assignments(case_id)
    assert (first.end_reason, second.attempt) == ("returned", 2)
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=resident).json["timeline"]
    assert timeline[2]["text"] == "网格员张三退回了工单（需要其他专业人员），正在重新派单"
    assert timeline[2]["decision"] is None  # the return note is for staff
    staff_view = client.get(f"/api/v1/cases/{case_id}", headers=login(client, "leader")).json["timeline"]
    assert staff_view[2]["decision"] == {"reason": "needs_other_skill", "note": "需要电工证"}
    assert staff_view[3]["decision"]["candidates"][0]["why"] == "已退回或超时未受理本工单"
    # Returning is possible after accepting too, but not once work started.
    worker2 = login(client, "worker-2")
    assert act(client, worker2, case_id, "accept").status_code == 200
    assert act(client, worker2, case_id, "start").status_code == 200
    assert act(client, worker2, case_id, "return", {"reason": "other"}).status_code == 409


def test_cancel_before_acceptance_tells_the_assignee(client, district, alice):
    resident = login(client, "alice")
    case_id = submit(client, resident)["id"]
    cancelled = act(client, resident, case_id, "cancel", {"note": "已自行解决"})
    assert cancelled.json["status"] == "cancelled" and cancelled.json["actions"] == []
    assert assignments(case_id)[0].end_reason == "cancelled"
    assert inbox(district.workers[0])[-1].kind == "case_withdrawn"
    # The worker no longer sees it as theirs and cannot accept it.
    assert act(client, login(client, "worker-1"), case_id, "accept").status_code in (404, 409)


def test_resolving_an_incident_needs_an_after_photo(client, district, alice):
    case_id = _bring_to(client, district, "in_progress")
    worker = login(client, "worker-1")
    before = row_counts()
    refused = act(client, worker, case_id, "resolve", {"note": "好了"})
    assert refused.status_code == 422 and refused.json["reason"] == "after_photo_required"
    someone_elses = photo(client, login(client, "alice"))
    before = row_counts()
    refused = act(client, worker, case_id, "resolve", {"note": "好了", "photo_ids": [someone_elses]})
    assert refused.status_code == 422 and refused.json["reason"] == "invalid_photos"
    assert row_counts() == before and case_row(case_id).status == "in_progress"


def test_reopen_goes_back_to_the_same_worker_and_escalates(client, district, alice):
    case_id = _bring_to(client, district, "resolved")
    reopened = act(client, login(client, "alice"), case_id, "reopen", {"note": "还是不亮"})
    assert reopened.status_code == 200, reopened.json
    case = case_row(case_id)
    assert (case.status, case.assignee_id, case.escalation_level, case.reopen_count) == (
        "in_progress", district.workers[0].id, 1, 1)
    assert reopened.json["timeline"][-1]["text"] == "居民反馈问题未解决，已退回网格员张三重新处理，并升级督办至网格长"
    assert inbox(district.workers[0], "case_reopened") and inbox(district.leader, "case_escalated")
    # The worker resolves again; the resident may confirm this time.
    worker = login(client, "worker-1")
    assert act(client, worker, case_id, "resolve", {"note": "换了整套灯具", "photo_ids": [photo(client, worker)]}).status_code == 200
    assert act(client, login(client, "alice"), case_id, "confirm").json["status"] == "closed"


def test_reopen_after_the_window_is_refused_and_unanswered_resolutions_close(client, district, alice):
    case_id = _bring_to(client, district, "resolved")
    db.session.query(Case).filter_by(id=case_id).update({"confirm_due_at": utcnow() - timedelta(minutes=1)})
    db.session.commit()
    refused = act(client, login(client, "alice"), case_id, "reopen", {"note": "还是不亮"})
    assert refused.status_code == 409 and case_row(case_id).status == "resolved"
    assert sweep(utcnow())["closed"] == 1
    assert case_row(case_id).status == "closed"
    assert events(case_id)[-1].text == "居民 7 天内未确认，系统自动结案"
    assert sweep(utcnow())["closed"] == 0
    assert act(client, login(client, "alice"), case_id, "rate", {"score": 2}).json["rating"]["score"] == 2


def test_a_second_rating_is_refused(client, district, alice):
    case_id = _bring_to(client, district, "closed")
    resident = login(client, "alice")
    assert act(client, resident, case_id, "rate", {"score": 4}).status_code == 200
    again = act(client, resident, case_id, "rate", {"score": 1})
    assert again.status_code == 409 and again.json["reason"] == "already_rated"
    assert case_row(case_id).rating == 4
