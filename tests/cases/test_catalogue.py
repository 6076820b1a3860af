"""The category catalogue: seeded idempotently, listed as a tree, edited by district admins only."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.cases.catalogue import DEFAULT_CATALOGUE, default_rows, ensure_default_categories
from backend.cases.models import CaseCategory
from backend.extensions import db
from tests.cases.factories import incident, make_district, make_resident, photo, row_counts
from tests.factories import login, make_user


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count(CaseCategory.id)))


def test_seeding_is_idempotent_and_keeps_edits(app):
    added = ensure_default_categories()
    db.session.commit()
    assert added == count() == len(default_rows()) and added > 25
    light = db.session.scalar(sa.select(CaseCategory).where(CaseCategory.code == "streetlight"))
    light.accept_minutes = 15
    db.session.commit()
    assert ensure_default_categories() == 0
    db.session.commit()
    assert count() == added and db.session.get(CaseCategory, light.id).accept_minutes == 15


def test_seeding_works_on_a_bare_connection_as_in_a_data_migration(app):
    with db.engine.begin() as connection:
        assert ensure_default_categories(connection) == len(default_rows())
        assert ensure_default_categories(connection) == 0
    groups = db.session.scalars(sa.select(CaseCategory).where(CaseCategory.parent_id.is_(None))).all()
    assert [g.code for g in sorted(groups, key=lambda g: g.sort_order)] == [code for code, *_ in DEFAULT_CATALOGUE]


def test_defaults_are_sensible():
    rows = {row["code"]: row for row in default_rows()}
    assert rows["streetlight"]["skill"] == "electrical" and rows["streetlight"]["requires_photo"] is True
    assert rows["manhole_cover"]["urgent"] and rows["manhole_cover"]["accept_minutes"] < rows["streetlight"]["accept_minutes"]
    assert rows["residence_certificate"]["kind"] == "service" and not rows["residence_certificate"]["requires_location"]
    assert not rows["neighbour_dispute"]["allows_anonymous"] and rows["noise"]["allows_anonymous"]
    assert {row["kind"] for row in rows.values()} == {"incident", "service"}


def test_the_catalogue_as_a_tree(client, app):
    ensure_default_categories()
    db.session.commit()
    headers = login(client, "alice")
    groups = client.get("/api/v1/case-categories", headers=headers).json
    assert groups[0]["name"] == "市容环境" and groups[0]["children"][0]["name"] == "路灯损坏"
    assert groups[0]["children"][0]["parent_code"] == "city_appearance"
    services = client.get("/api/v1/case-categories?kind=service", headers=headers).json
    assert {g["kind"] for g in services} == {"service"}
    assert "证明开具" in [g["name"] for g in services]


def test_district_admins_edit_the_catalogue(client, app):
    ensure_default_categories()
    db.session.commit()
    district = make_district()
    admin = login(client, "admin")
    light = db.session.scalar(sa.select(CaseCategory.id).where(CaseCategory.code == "streetlight"))
    patched = client.patch(f"/api/v1/case-categories/{light}", json={"accept_minutes": 20, "name": "路灯不亮"},
                           headers=admin)
    assert patched.status_code == 200 and patched.json["accept_minutes"] == 20 and patched.json["name"] == "路灯不亮"

    child = client.post("/api/v1/case-categories", headers=admin,
                        json={"code": "shared_bikes", "name": "共享单车乱停", "parent_code": "city_appearance",
                              "skill": "security"})
    assert child.status_code == 201, child.json
    assert child.json["kind"] == "incident" and child.json["resolve_hours"] == 48  # from the group
    group = client.post("/api/v1/case-categories", headers=admin,
                        json={"code": "culture", "name": "文体活动", "kind": "service"})
    assert group.status_code == 201 and group.json["parent_code"] is None

    before = row_counts()
    for body, status, reason in (
            ({"code": "shared_bikes", "name": "重复", "parent_code": "city_appearance"}, 409, "category_code_taken"),
            ({"code": "x_y", "name": "无上级", "parent_code": "streetlight"}, 422, "invalid_parent"),
            ({"code": "x_z", "name": "类型不符", "parent_code": "city_appearance", "kind": "service"}, 422,
             "kind_mismatch"),
            ({"code": "x_w", "name": "没类型"}, 422, "kind_required"),
            ({"code": "BAD CODE", "name": "x", "kind": "service"}, 422, "validation_error"),
            ({"code": "ok_code", "name": "x", "kind": "service", "accept_minutes": 0}, 422, "validation_error")):
        response = client.post("/api/v1/case-categories", json=body, headers=admin)
        assert (response.status_code, response.json["reason"]) == (status, reason), body
    assert row_counts() == before

    # A deactivated category is gone from the picker and cannot be filed under.
    client.patch(f"/api/v1/case-categories/{light}", json={"active": False}, headers=admin)
    names = [c["code"] for g in client.get("/api/v1/case-categories", headers=admin).json for c in g["children"]]
    assert "streetlight" not in names
    everything = client.get("/api/v1/case-categories?include_inactive=true", headers=admin).json
    assert "streetlight" in [c["code"] for g in everything for c in g["children"]]
    make_resident("alice", district.grids[0])
    resident = login(client, "alice")
    refused = client.post("/api/v1/cases", json=incident(photo_ids=[photo(client, resident)]), headers=resident)
    assert refused.status_code == 422 and refused.json["reason"] == "unknown_category"
    # include_inactive is an admin's view only.
    hidden = client.get("/api/v1/case-categories?include_inactive=true", headers=resident).json
    assert "streetlight" not in [c["code"] for g in hidden for c in g["children"]]


def test_only_district_admins_edit(client, app):
    ensure_default_categories()
    db.session.commit()
    make_user("committee", roles=(("committee", "community", 1),))
    for openid in ("alice", "committee"):
        response = client.post("/api/v1/case-categories", json={"code": "abc", "name": "x", "kind": "service"},
                               headers=login(client, openid))
        assert response.status_code == 403


@pytest.mark.parametrize("code", ["streetlight", "noise", "home_visit"])
def test_seeded_codes_exist(app, code):
    ensure_default_categories()
    assert db.session.scalar(sa.select(CaseCategory.parent_id).where(CaseCategory.code == code)) is not None
