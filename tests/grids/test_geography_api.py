"""The geography endpoints: streets, communities, grids (paginated, filtered) and one grid in detail."""
import json
from datetime import time

import pytest

from backend.extensions import db
from backend.grids.importer import import_grids
from backend.grids.models import DutyWindow, Grid
from tests.factories import login, make_staff
from tests.grids.geojson import block_2x2, square_feature


@pytest.fixture
def district(app):
    """Two streets: 长桥街道 with the 2×2 block of two communities, 郭巷街道 with one grid."""
    fc = block_2x2()
    fc["features"].append(square_feature("320506-002-001-01", 121.0, 31.0))
    import_grids(fc)
    return fc


def get(client, path, headers, **query):
    return client.get(path, query_string=query, headers=headers)


def test_everything_needs_a_login(client, district):
    for path in ("/api/v1/streets", "/api/v1/communities", "/api/v1/grids", "/api/v1/grids/1"):
        response = client.get(path)
        assert response.status_code == 401 and response.json["reason"] == "unauthorized", path


def test_streets(client, district):
    streets = get(client, "/api/v1/streets", login(client, "resident"))
    assert streets.status_code == 200
    assert [(s["code"], s["name"]) for s in streets.json] == [("320506-001", "长桥街道"), ("320506-002", "郭巷街道")]
    assert set(streets.json[0]) == {"id", "code", "name", "district_id"}


def test_communities_of_a_street(client, district):
    headers = login(client, "resident")
    streets = {s["code"]: s["id"] for s in get(client, "/api/v1/streets", headers).json}

    all_communities = get(client, "/api/v1/communities", headers).json
    first_street = get(client, "/api/v1/communities", headers, street_id=streets["320506-001"]).json
    unknown = get(client, "/api/v1/communities", headers, street_id=999999)

    assert [c["code"] for c in all_communities] == ["320506-001-001", "320506-001-002", "320506-002-001"]
    assert [(c["code"], c["name"]) for c in first_street] == [("320506-001-001", "龙桥社区"), ("320506-001-002", "新家社区")]
    assert unknown.status_code == 200 and unknown.json == []
    assert get(client, "/api/v1/communities", headers, street_id="x").status_code == 422


def test_grids_are_paginated_and_filtered(client, district):
    headers = login(client, "resident")

    first = get(client, "/api/v1/grids", headers, page=1, page_size=2)
    second = get(client, "/api/v1/grids", headers, page=3, page_size=2)

    assert first.status_code == 200
    assert [g["code"] for g in first.json] == ["320506-001-001-01", "320506-001-001-02"]
    assert json.loads(first.headers["X-Pagination"]) == {"total": 5, "total_pages": 3, "first_page": 1,
                                                         "last_page": 3, "page": 1, "next_page": 2}
    assert [g["code"] for g in second.json] == ["320506-002-001-01"]
    assert set(first.json[0]) == {"id", "code", "name", "community_id"}

    communities = {c["code"]: c["id"] for c in get(client, "/api/v1/communities", headers).json}
    streets = {s["code"]: s["id"] for s in get(client, "/api/v1/streets", headers).json}
    by_community = get(client, "/api/v1/grids", headers, community_id=communities["320506-001-002"])
    by_street = get(client, "/api/v1/grids", headers, street_id=streets["320506-002"])
    assert [g["code"] for g in by_community.json] == ["320506-001-002-01", "320506-001-002-02"]
    assert json.loads(by_community.headers["X-Pagination"])["total"] == 2
    assert [g["code"] for g in by_street.json] == ["320506-002-001-01"]
    assert get(client, "/api/v1/grids", headers, page_size=101).status_code == 422


def test_grid_detail_has_boundary_and_staff_on_duty(client, district):
    headers = login(client, "resident")
    grids = {g["code"]: g["id"] for g in get(client, "/api/v1/grids", headers, page_size=10).json}
    grid_id = grids["320506-001-002-01"]
    grid = db.session.get(Grid, grid_id)
    leader = make_staff("leader", grid, role="grid_leader", skills=("dispute_mediation", "elderly_care"))
    resting = make_staff("resting", grid, skills=("plumbing",), always_on_duty=False)
    db.session.add(DutyWindow(user_id=resting.id, weekday=0, starts=time(0), ends=time(0, 0, 1)))
    db.session.commit()

    detail = get(client, f"/api/v1/grids/{grid_id}", headers)

    assert detail.status_code == 200, detail.json
    body = detail.json
    assert (body["code"], body["community_code"], body["community_name"], body["street_code"], body["street_name"]) == (
        "320506-001-002-01", "320506-001-002", "新家社区", "320506-001", "长桥街道")
    assert body["boundary"] == {"type": "Polygon", "coordinates": [
        [[120.75, 31.0], [121.0, 31.0], [121.0, 31.25], [120.75, 31.25], [120.75, 31.0]]]}
    assert body["staff"] == [
        {"user_id": leader.id, "name": "leader", "role": "grid_leader", "on_duty": True,
         "skills": ["dispute_mediation", "elderly_care"]},
        {"user_id": resting.id, "name": "resting", "role": "grid_worker", "on_duty": False, "skills": ["plumbing"]},
    ]
    assert "phone" not in json.dumps(body)


def test_unknown_grid_is_404(client, district):
    response = get(client, "/api/v1/grids/999999", login(client, "resident"))
    assert response.status_code == 404
    assert response.json == {"code": 404, "status": "Not Found", "message": "网格不存在", "reason": "grid_not_found"}
