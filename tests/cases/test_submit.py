"""Submitting: validation against the category, idempotent retries, bad input refused with nothing written."""
from __future__ import annotations

import pytest

from backend.cases.models import Case
from backend.extensions import db
from backend.media.models import MediaFile
from tests.cases.factories import case_row, events, incident, make_district, make_resident, photo, row_counts, submit
from tests.factories import login


@pytest.fixture
def district(app):
    return make_district()


@pytest.fixture
def resident(client, district):
    make_resident("alice", district.grids[0])
    return login(client, "alice")


def test_submitting_an_incident_attaches_its_photos(client, district, resident):
    photos = [photo(client, resident), photo(client, resident)]
    case = submit(client, resident, incident(photo_ids=photos))
    assert case["kind"] == "incident" and case["category"] == {"code": "streetlight", "name": "路灯损坏",
                                                              "group_name": "市容环境", "urgent": False}
    assert [p["id"] for p in case["photos"]] == photos and case["thumbnail_url"].endswith(f"/{photos[0]}/thumbnail")
    assert case["grid"]["code"] == district.grids[0].code and case["community"]["name"] == "测试1社区"
    assert {(m.attached_type, m.attached_id) for m in db.session.query(MediaFile)} == {("case", case["id"])}
    # Deadlines from the category: 48 hours to resolve.
    row = case_row(case["id"])
    assert (row.resolve_due_at - row.created_at).total_seconds() == 48 * 3600


def test_a_service_request_from_the_household(client, district, resident):
    case = submit(client, resident, {"kind": "service", "category_code": "residence_certificate",
                                     "description": "办理居住证明，用于孩子入学"})
    assert case["lat"] is None and case["grid"]["id"] == district.grids[0].id
    assert case_row(case["id"]).assignee_id == district.leader.id  # nobody has the certificates skill


def test_same_idempotency_key_same_case_different_body_422(client, district, resident):
    body = incident(photo_ids=[photo(client, resident)])
    first = submit(client, resident, body, key="phone-retry-1")
    again = client.post("/api/v1/cases", json=body, headers={**resident, "Idempotency-Key": "phone-retry-1"})
    assert again.status_code == 201 and again.json == first
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Case).count() == 1
    changed = client.post("/api/v1/cases", json={**body, "description": "另一个问题"},
                          headers={**resident, "Idempotency-Key": "phone-retry-1"})
    assert changed.status_code == 422 and changed.json["reason"] == "idempotency_key_reused"
    assert db.session.query(Case).count() == 1
    # Another user's identical key is theirs alone.
    make_resident("bob", district.grids[0], "隔壁")
    bob = login(client, "bob")
    other = submit(client, bob, incident(photo_ids=[photo(client, bob)]), key="phone-retry-1")
    assert other["id"] != first["id"]


DROP = object()
BAD = [
    ({"category_code": "nope"}, "unknown_category"),
    ({"category_code": "city_appearance"}, "category_not_selectable"),
    ({"kind": "service"}, "kind_mismatch"),
    ({"lat": DROP, "lng": DROP}, "location_required"),
    ({"lat": 30.0, "lng": 119.0}, "outside_district"),
    ({"photo_ids": []}, "photo_required"),
    ({"photo_ids": [999999]}, "invalid_photos"),
    ({"category_code": "neighbour_dispute", "description": "邻居噪音", "anonymous": True}, "anonymous_not_allowed"),
    ({"lng": DROP}, "validation_error"),
    ({"lng": None}, "validation_error"),
    ({"lat": 91}, "validation_error"),
    ({"description": "x"}, "validation_error"),
    ({"description": "路灯\x00坏了"}, "validation_error"),
    ({"kind": "bogus"}, "validation_error"),
    ({"status": "closed"}, "validation_error"),
    ({"assignee_id": 1}, "validation_error"),
    ({"photo_ids": ["1"]}, "validation_error"),
    ({"photo_ids": list(range(1, 11))}, "validation_error"),
]


@pytest.mark.parametrize("change,reason", BAD)
def test_bad_input_is_422_and_writes_nothing(client, district, resident, change, reason):
    body = incident(photo_ids=[photo(client, resident)])
    body.update(change)
    body = {key: value for key, value in body.items() if value is not DROP}
    before = row_counts()
    response = client.post("/api/v1/cases", json=body, headers={**resident, "Idempotency-Key": f"bad-{reason}"})
    assert response.status_code == 422, response.json
    assert response.json["reason"] == reason and response.json["message"]
    assert set(response.json) >= {"code", "status", "message", "reason"}
    assert row_counts() == before


def test_a_refused_submission_can_be_retried_with_the_same_key(client, district, resident):
    body = incident(photo_ids=[])
    refused = client.post("/api/v1/cases", json=body, headers={**resident, "Idempotency-Key": "k"})
    assert refused.status_code == 422
    body["photo_ids"] = [photo(client, resident)]
    # A different body after a failure is fine: failures do not burn the key.
    assert client.post("/api/v1/cases", json=body, headers={**resident, "Idempotency-Key": "k"}).status_code == 201


def test_photos_are_used_once(client, district, resident):
    shared = photo(client, resident)
    submit(client, resident, incident(photo_ids=[shared]))
    second = client.post("/api/v1/cases", json=incident(photo_ids=[shared]), headers=resident)
    assert second.status_code == 422 and second.json["reason"] == "invalid_photos"


def test_too_many_submissions_an_hour(make_app):
    app = make_app(CASES_PER_HOUR=2)
    with app.app_context():
        client = app.test_client()
        district = make_district()
        make_resident("alice", district.grids[0])
        resident = login(client, "alice")
        submit(client, resident)
        submit(client, resident)
        before = row_counts()
        refused = client.post("/api/v1/cases", json=incident(photo_ids=[photo(client, resident)]), headers=resident)
        assert refused.status_code == 429 and refused.json["reason"] == "too_many_cases"
        assert refused.headers["Retry-After"] == "600"
        counts = row_counts()
        assert counts.pop("media_files") == before.pop("media_files") + 1  # the photo upload itself
        assert counts == before


def test_anonymous_report_records_the_choice(client, district, resident):
    case = submit(client, resident, incident(anonymous=True))
    assert case["anonymous"] is True and events(case["id"])[0].actor_id is not None  # kept, never shown to staff
