"""Who sees a photo, through the HTTP API: its uploader, and whoever may see the case or topic it is attached to.

Everyone else gets the same 404 as for a photo that does not exist, for the photo and its thumbnail alike.
"""
from __future__ import annotations

import pytest

from tests.cases.factories import act, make_district, make_resident, photo, submit
from tests.factories import login

TOPIC = {"title": "在 3 幢旁新建非机动车棚", "body": "电动车停放混乱，建议在 3 幢与 4 幢之间的空地建车棚。"}

# People (see tests/cases/factories.make_district): alice reports from grid 0 and bob lives beside her; carol
# (grid 1, same community) follows the case; dave lives in community 2. worker-1 is the assignee, worker-2 a
# colleague in grid 0, other-worker works in grid 1; committee-1 covers grids 0–1, committee-2 grids 2–3.
CASE_PHOTO = {"alice": 200, "bob": 404, "carol": 200, "dave": 404, "worker-1": 200, "worker-2": 200,
              "other-worker": 404, "leader": 200, "committee-1": 200, "committee-2": 404, "street": 200, "admin": 200}


def status_of(client, person: str, photo_json: dict) -> int:
    """The status `person` gets for a photo; the thumbnail must answer the same."""
    headers = login(client, person)
    photo_status = client.get(photo_json["url"], headers=headers).status_code
    thumbnail_status = client.get(photo_json["thumbnail_url"], headers=headers).status_code
    assert photo_status == thumbnail_status, (person, photo_json)
    return photo_status


@pytest.fixture
def people(client, app):
    district = make_district()
    make_resident("alice", district.grids[0])
    make_resident("bob", district.grids[0], "隔壁")
    make_resident("carol", district.grids[1])
    make_resident("dave", district.grids[2])
    return district


@pytest.fixture
def resolved_case(client, people):
    """A streetlight report with alice's photo, followed by carol, resolved by worker-1 with an after-photo."""
    alice, worker = login(client, "alice"), login(client, "worker-1")
    case = submit(client, alice)
    assert act(client, login(client, "carol"), case["id"], "follow").status_code == 200
    for action in ("accept", "start"):
        assert act(client, worker, case["id"], action).status_code == 200
    resolved = act(client, worker, case["id"], "resolve", {"note": "已更换灯泡", "photo_ids": [photo(client, worker)]})
    assert resolved.status_code == 200, resolved.json
    return resolved.json


@pytest.mark.parametrize("person", sorted(CASE_PHOTO))
def test_case_photos_are_seen_by_who_sees_the_case(client, resolved_case, person):
    before = resolved_case["photos"][0]
    [after] = resolved_case["timeline"][-1]["photos"]
    case_status = client.get(f"/api/v1/cases/{resolved_case['id']}", headers=login(client, person)).status_code

    assert status_of(client, person, before) == status_of(client, person, after) == CASE_PHOTO[person]
    assert case_status == CASE_PHOTO[person]  # the very rule of the case, not a second copy of it


def test_a_refused_photo_looks_like_a_missing_one(client, resolved_case):
    headers = login(client, "other-worker")
    before = resolved_case["photos"][0]
    refused = client.get(before["thumbnail_url"], headers=headers)
    missing = client.get(before["thumbnail_url"].replace(f"/{before['id']}/", "/999999/"), headers=headers)

    assert refused.status_code == missing.status_code == 404
    assert refused.json == missing.json and refused.json["reason"] == "media_not_found"


def test_an_unattached_photo_is_its_uploaders_alone(client, people):
    alice = login(client, "alice")
    photo_id = photo(client, alice)
    unattached = {"url": f"/api/v1/media/{photo_id}", "thumbnail_url": f"/api/v1/media/{photo_id}/thumbnail"}

    for person, status in (("alice", 200), ("bob", 404), ("worker-1", 404), ("leader", 404), ("committee-1", 404),
                           ("admin", 404)):
        assert status_of(client, person, unattached) == status, person


def test_a_committee_topic_photo_is_seen_by_the_communitys_residents(client, people):
    committee = login(client, "committee-1")
    created = client.post("/api/v1/topics", headers=committee,
                          json={**TOPIC, "community_id": people.geo.communities[0].id,
                                "photo_ids": [photo(client, committee)]})
    assert created.status_code == 201, created.json
    [topic_photo] = created.json["photos"]

    for person, status in (("committee-1", 200), ("alice", 200), ("carol", 200), ("street", 200),
                           ("dave", 404), ("committee-2", 404), ("worker-1", 404)):
        assert status_of(client, person, topic_photo) == status, person


def test_a_proposal_photo_is_seen_by_residents_only_once_the_topic_is_public(client, people):
    bob = login(client, "bob")
    proposed = client.post("/api/v1/topics", headers=bob, json={**TOPIC, "photo_ids": [photo(client, bob)]})
    assert proposed.status_code == 201 and proposed.json["phase"] == "pending_review", proposed.json
    [topic_photo] = proposed.json["photos"]

    assert [status_of(client, p, topic_photo) for p in ("bob", "committee-1", "alice", "dave")] == [200, 200, 404, 404]
    approved = client.post(f"/api/v1/topics/{proposed.json['id']}/approve", json={}, headers=login(client, "committee-1"))
    assert approved.status_code == 200, approved.json
    assert [status_of(client, p, topic_photo) for p in ("bob", "committee-1", "alice", "dave")] == [200, 200, 200, 404]
