"""Who sees what and who may do what: each role against one case, reads and actions, 403 vs 404."""
from __future__ import annotations

import pytest

from tests.cases.factories import act, case_row, make_district, make_resident, photo, row_counts, submit
from tests.factories import login

# People: the reporter, another resident, a follower; grid 0's assignee, a colleague and leader; a worker of
# grid 1 (same community); committee of community 1 (grids 0–1) and 2 (grids 2–3); street and district admins.
PEOPLE = ("alice", "bob", "carol", "worker-1", "worker-2", "other-worker", "leader", "committee-1", "committee-2",
          "street", "admin")

# GET /cases/<id>: 200 or 404 (a case you may not see does not exist for you).
VIEW = {"alice": 200, "bob": 404, "carol": 200, "worker-1": 200, "worker-2": 200, "other-worker": 404,
        "leader": 200, "committee-1": 200, "committee-2": 404, "street": 200, "admin": 200}

# POST /cases/<id>/<action> by each person: residents calling staff actions get 403; staff who cannot see the
# case get 404; those who see it but may not act get 403. The action's rightful taker is checked elsewhere.
ACTIONS = {
    "accept": {"alice": 403, "bob": 403, "carol": 403, "worker-2": 403, "other-worker": 404, "leader": 403,
               "committee-1": 403, "committee-2": 404, "street": 403},
    "cancel": {"bob": 404, "carol": 403, "worker-1": 403, "worker-2": 403, "other-worker": 404, "leader": 403,
               "committee-2": 404},
    "reassign": {"alice": 403, "bob": 403, "carol": 403, "worker-1": 403, "worker-2": 403, "other-worker": 403,
                 "committee-2": 404},
    "escalate": {"alice": 403, "bob": 403, "carol": 403, "worker-1": 403, "worker-2": 403, "other-worker": 403,
                 "committee-2": 404},
    "follow": {"alice": 403},
}


@pytest.fixture
def world(client, app):
    district = make_district()
    make_resident("alice", district.grids[0])
    make_resident("bob", district.grids[0], "隔壁")
    make_resident("carol", district.grids[1])
    alice = login(client, "alice")
    case = submit(client, alice)
    assert act(client, login(client, "carol"), case["id"], "follow").status_code == 200
    return district, case


@pytest.mark.parametrize("person", PEOPLE)
def test_who_sees_a_case(client, world, person):
    _, case = world
    headers = login(client, person)
    response = client.get(f"/api/v1/cases/{case['id']}", headers=headers)
    assert response.status_code == VIEW[person], response.json
    photo_url = case["photos"][0]["url"]
    if VIEW[person] == 404:
        assert response.json["reason"] == "case_not_found"
        missing = client.get("/api/v1/cases/999999", headers=headers)
        assert missing.json == response.json  # the same answer as for a case that does not exist
    assert client.get(photo_url, headers=headers).status_code == VIEW[person]  # its photos are as private


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_who_may_act_on_a_case(client, world, action):
    district, case = world
    body = {"reassign": {"assignee_id": district.workers[1].id}}.get(action, {})
    for person, status in ACTIONS[action].items():
        headers = login(client, person)
        before, state = row_counts(), _state(case["id"])
        response = act(client, headers, case["id"], action, body)
        assert response.status_code == status, (action, person, response.json)
        assert row_counts() == before and _state(case["id"]) == state


def _state(case_id):
    case = case_row(case_id)
    return case.status, case.assignee_id, case.escalation_level, case.updated_at


def test_the_rightful_people_may_act(client, world):
    district, case = world
    assert act(client, login(client, "committee-1"), case["id"], "escalate").status_code == 200
    reassigned = act(client, login(client, "leader"), case["id"], "reassign", {"assignee_id": district.workers[1].id})
    assert reassigned.status_code == 200
    assert reassigned.json["timeline"][-1]["text"] == "网格长赵网格长改派给网格员李四"
    assert act(client, login(client, "worker-1"), case["id"], "accept").status_code == 403  # not theirs any more
    assert act(client, login(client, "worker-2"), case["id"], "accept").status_code == 200


def test_reassign_only_to_staff_of_the_case(client, world):
    district, case = world
    leader = login(client, "leader")
    for target in (district.other_worker.id, district.committee[1].id):
        refused = act(client, leader, case["id"], "reassign", {"assignee_id": target})
        assert refused.status_code == 422 and refused.json["reason"] == "invalid_assignee"
    same = act(client, leader, case["id"], "reassign", {"assignee_id": district.workers[0].id})
    assert same.status_code == 422 and same.json["reason"] == "same_assignee"
    assert case_row(case["id"]).attempt == 1


LISTS = {
    # person: {view: case listed?} — a 403 where the caller holds no role for the view
    "alice": {"mine": True, "assigned": False, "grid": 403},
    "bob": {"mine": False, "community": 403},
    "carol": {"mine": True},
    "worker-1": {"assigned": True, "grid": True, "community": 403},
    "worker-2": {"assigned": False, "grid": True},
    "other-worker": {"grid": False},
    "leader": {"grid": True, "escalated": False},
    "committee-1": {"community": True, "grid": 403},
    "committee-2": {"community": False},
    "street": {"street": True},
    "admin": {"district": True, "street": 403},
}


@pytest.mark.parametrize("person", sorted(LISTS))
def test_lists_hold_only_what_the_role_covers(client, world, person):
    _, case = world
    headers = login(client, person)
    for view, expected in LISTS[person].items():
        response = client.get(f"/api/v1/cases?view={view}", headers=headers)
        if expected == 403:
            assert response.status_code == 403 and response.json["reason"] == "view_not_allowed", view
            continue
        assert response.status_code == 200, response.json
        assert (case["id"] in [c["id"] for c in response.json]) is expected, (person, view)


def test_residents_and_workers_get_403_on_staff_only_endpoints(client, world):
    for person in ("alice", "bob"):
        headers = login(client, person)
        assert client.get("/api/v1/cases/stats", headers=headers).status_code == 403
        assert client.get("/api/v1/cases/availability", headers=headers).status_code == 403
        assert client.patch("/api/v1/case-categories/1", json={"name": "x"}, headers=headers).status_code == 403
    assert client.patch("/api/v1/case-categories/1", json={"name": "x"},
                        headers=login(client, "committee-1")).status_code == 403


def test_anonymous_reports_hide_the_reporter_from_staff(client, world):
    district, _ = world
    alice = login(client, "alice")
    case = submit(client, alice, {"kind": "incident", "category_code": "noise", "description": "楼上每晚装修到十二点",
                                  "lat": 31.305, "lng": 120.605, "anonymous": True})
    assert case["reporter"]["name"] == "alice" and case["reporter"]["phone"] == "13800000000"
    for person in ("worker-1", "leader", "committee-1", "admin"):
        seen = client.get(f"/api/v1/cases/{case['id']}", headers=login(client, person)).json
        assert seen["reporter"] is None and seen["anonymous"] is True
        assert seen["timeline"][0]["actor"]["name"] == "匿名居民" and seen["timeline"][0]["actor"]["id"] is None
        assert "alice" not in str(seen)
    # Not anonymous: staff see who reported and how to reach them; a follower never does.
    named = client.get(f"/api/v1/cases/{world[1]['id']}", headers=login(client, "worker-1")).json
    assert named["reporter"]["phone"] == "13800000000"
    followed = client.get(f"/api/v1/cases/{world[1]['id']}", headers=login(client, "carol")).json
    assert followed["reporter"] is None and followed["timeline"][0]["actor"]["id"] is None


def test_a_photo_cannot_be_attached_by_someone_else(client, world):
    alice, bob = login(client, "alice"), login(client, "bob")
    alices_photo = photo(client, alice)
    before = row_counts()
    response = client.post("/api/v1/cases", headers=bob,
                           json={"kind": "incident", "category_code": "streetlight", "description": "路灯不亮",
                                 "lat": 31.305, "lng": 120.605, "photo_ids": [alices_photo]})
    assert response.status_code == 422 and response.json["reason"] == "invalid_photos"
    assert row_counts() == before
