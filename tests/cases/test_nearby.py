"""Nearby suggestions before submitting (anonymised), and following a case instead of filing it again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db

from tests.cases.factories import act, inbox, incident, make_district, make_resident, photo, point_in, submit
from tests.factories import login


@pytest.fixture
def district(app):
    return make_district()


@pytest.fixture
def reported(client, district):
    """Alice reported a broken streetlight at a precise point of grid 0."""
    make_resident("alice", district.grids[0])
    make_resident("bob", district.grids[0], "隔壁")
    body = incident(lat=31.305123, lng=120.605456, description="我家楼下路灯不亮，我是3幢502的王阿姨 13912345678")
    return submit(client, login(client, "alice"), body)


def nearby(client, headers, lat=31.3053, lng=120.6056, code="streetlight"):
    return client.get(f"/api/v1/cases/nearby?category_code={code}&lat={lat}&lng={lng}", headers=headers)


def test_nearby_open_cases_are_suggested_without_who_or_where_exactly(client, reported):
    response = nearby(client, login(client, "bob"))
    assert response.status_code == 200
    [suggestion] = response.json
    assert suggestion["id"] == reported["id"] and suggestion["category_name"] == "路灯损坏"
    assert (suggestion["lat"], suggestion["lng"]) == (31.305, 120.605)  # rounded to about 100 m
    assert suggestion["distance_m"] % 10 == 0 and suggestion["distance_m"] <= 100
    assert suggestion["following"] is False and suggestion["follower_count"] == 0
    text = str(response.json)
    assert "王阿姨" not in text and "13912345678" not in text and "alice" not in text and "305123" not in text


def test_nearby_is_limited_to_the_radius_the_category_and_open_cases(client, reported):
    bob = login(client, "bob")
    assert nearby(client, bob, lat=31.3075).json == []  # about 250 m north: beyond the 100 m radius
    assert nearby(client, bob, code="garbage").json == []  # another category
    assert nearby(client, login(client, "alice")).json == []  # one's own case is not a suggestion
    assert nearby(client, bob, code="residence_certificate").json == []  # services have no radius
    act(client, login(client, "alice"), reported["id"], "cancel")
    assert nearby(client, bob).json == []


def test_nearby_refuses_bad_input(client, reported):
    bob = login(client, "bob")
    for query in ("category_code=streetlight&lat=91&lng=120.6", "category_code=streetlight&lat=31.3",
                  "category_code=nope&lat=31.3&lng=120.6", "lat=31.3&lng=120.6"):
        response = client.get(f"/api/v1/cases/nearby?{query}", headers=bob)
        assert response.status_code == 422, query
        assert response.json["reason"] in ("validation_error", "unknown_category")


def test_following_joins_the_case_and_hears_its_progress(client, district, reported):
    bob = login(client, "bob")
    followed = act(client, bob, reported["id"], "follow")
    assert followed.status_code == 200 and followed.json["following"] is True
    assert followed.json["reporter"] is None and followed.json["actions"] == ["unfollow"]
    assert act(client, bob, reported["id"], "follow").status_code == 200  # again: harmless
    assert nearby(client, bob).json[0]["following"] is True
    assert [c["id"] for c in client.get("/api/v1/cases?view=mine", headers=bob).json] == [reported["id"]]

    worker = login(client, "worker-1")
    act(client, worker, reported["id"], "accept")
    act(client, worker, reported["id"], "start")
    act(client, worker, reported["id"], "resolve", {"note": "已修复", "photo_ids": [photo(client, worker)]})
    bob_row = db.session.scalar(sa.select(User).where(User.openid == "bob"))
    assert [n.title for n in inbox(bob_row)] == ["您反映的问题已受理", "您反映的问题已处理"]
    assert all(n.link == f"pages/cases/detail/detail?id={reported['id']}" for n in inbox(bob_row))
    # The follower may not confirm or rate: that is the reporter's.
    assert act(client, bob, reported["id"], "confirm").status_code == 403
    act(client, login(client, "alice"), reported["id"], "confirm")
    assert inbox(bob_row)[-1].title == "关注的问题已办结"


def test_unfollow_and_closed_cases_cannot_be_followed(client, district, reported):
    bob = login(client, "bob")
    act(client, bob, reported["id"], "follow")
    assert client.delete(f"/api/v1/cases/{reported['id']}/follow", headers=bob).status_code == 204
    assert client.get(f"/api/v1/cases/{reported['id']}", headers=bob).status_code == 404
    assert client.delete(f"/api/v1/cases/{reported['id']}/follow", headers=bob).status_code == 404
    act(client, login(client, "alice"), reported["id"], "cancel")
    refused = act(client, bob, reported["id"], "follow")
    assert refused.status_code == 409 and refused.json["reason"] == "invalid_transition"
    assert act(client, bob, 999999, "follow").status_code == 404


def test_point_helper_is_inside_the_grid(district):
    assert point_in(0) == {"lat": 31.305, "lng": 120.605}
