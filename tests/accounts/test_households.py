"""Households, committee invite codes and verified membership."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.accounts.models import Household, HouseholdInvite, HouseholdMember
from backend.extensions import db
from tests.factories import login, make_geography, make_household, make_invite, make_user


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def committee_of(geo, index: int, openid: str = "committee"):
    return make_user(openid, roles=(("committee", "community", geo.communities[index].id),))


def test_committee_creates_a_household_and_issues_an_invite(client):
    geo = make_geography()
    committee_of(geo, 0)
    headers = login(client, "committee")
    created = client.post("/api/v1/households", json={"grid_id": geo.grids[0].id, "address": "长桥新村 3 幢 202"},
                          headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["grid_code"] == geo.grids[0].code and created.json["members"] == []
    invite = client.post(f"/api/v1/households/{created.json['id']}/invites", json={"max_uses": 3}, headers=headers)
    assert invite.status_code == 201 and len(invite.json["code"]) == 8 and invite.json["uses"] == 0

    resident = login(client, "alice")
    joined = client.post("/api/v1/households/join", json={"invite_code": invite.json["code"].lower()},
                         headers=resident)
    assert joined.status_code == 200
    assert joined.json["verified"] is True
    assert joined.json["household"]["address"] == "长桥新村 3 幢 202"


def test_only_the_committee_over_the_grid_manages_households(client):
    geo = make_geography()
    committee_of(geo, 1, "other-committee")
    make_user("worker", roles=(("grid_worker", "grid", geo.grids[0].id),))
    body = {"grid_id": geo.grids[0].id, "address": "某地"}
    for openid in ("other-committee", "worker", "alice"):
        response = client.post("/api/v1/households", json=body, headers=login(client, openid))
        assert response.status_code == 403, openid
    household = make_household(geo.grids[0])
    response = client.post(f"/api/v1/households/{household.id}/invites", json={}, headers=login(client, "other-committee"))
    assert response.status_code == 403
    assert count(Household) == 1 and count(HouseholdInvite) == 0


def test_street_admin_covers_the_communities_of_the_street(client):
    geo = make_geography()
    make_user("street", roles=(("street_admin", "street", geo.streets[0].id),))
    response = client.post("/api/v1/households", json={"grid_id": geo.grids[3].id, "address": "某地"},
                           headers=login(client, "street"))
    assert response.status_code == 201


def test_joining_twice_is_harmless_and_uses_one_place(client):
    geo = make_geography()
    invite = make_invite(make_household(geo.grids[0]), max_uses=2)
    headers = login(client, "alice")
    for _ in range(2):
        assert client.post("/api/v1/households/join", json={"invite_code": invite.code}, headers=headers).status_code == 200
    db.session.refresh(invite)
    assert invite.uses == 1 and count(HouseholdMember) == 1


def test_join_refusals(client):
    geo = make_geography()
    first, second = make_household(geo.grids[0]), make_household(geo.grids[1], "长桥新村 2 幢 101")
    make_invite(first, "FULL2345", max_uses=1)
    make_invite(first, "OLD23456", expires_in=timedelta(days=-1))
    make_invite(second, "OTHER234")

    assert client.post("/api/v1/households/join", json={"invite_code": "FULL2345"},
                       headers=login(client, "bob")).status_code == 200

    def join(code, openid="alice"):
        return client.post("/api/v1/households/join", json={"invite_code": code}, headers=login(client, openid))

    cases = [("NOPE2345", 404, "invalid_invite_code"), ("OLD23456", 409, "invite_code_expired"),
             ("FULL2345", 409, "invite_code_used_up")]
    for code, status, reason in cases:
        response = join(code)
        assert (response.status_code, response.json["reason"]) == (status, reason), code
        assert response.json["message"]
    moved = join("OTHER234", "bob")
    assert moved.status_code == 409 and moved.json["reason"] == "already_in_household"
    assert count(HouseholdMember) == 1


def test_bad_bodies_change_nothing(client):
    geo = make_geography()
    committee_of(geo, 0)
    headers = login(client, "committee")
    for body in ({"grid_id": "1", "address": "x地址"}, {"grid_id": geo.grids[0].id}, {"address": "某地"},
                 {"grid_id": geo.grids[0].id, "address": "某地", "verified": True}):
        assert client.post("/api/v1/households", json=body, headers=headers).status_code == 422
    missing = client.post("/api/v1/households", json={"grid_id": 99999, "address": "某地"}, headers=headers)
    assert missing.status_code in (403, 404)
    assert count(Household) == 0


def test_idempotency_key_replays_the_first_response(client):
    geo = make_geography()
    committee_of(geo, 0)
    headers = {**login(client, "committee"), "Idempotency-Key": "k-1"}
    body = {"grid_id": geo.grids[0].id, "address": "长桥新村 5 幢"}
    first = client.post("/api/v1/households", json=body, headers=headers)
    again = client.post("/api/v1/households", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count(Household) == 1
    different = client.post("/api/v1/households", json={**body, "address": "别处"}, headers=headers)
    assert different.status_code == 422 and different.json["reason"] == "idempotency_key_reused"
    assert count(Household) == 1


def test_idempotency_keys_are_per_user(client):
    geo = make_geography()
    committee_of(geo, 0, "c1")
    committee_of(geo, 0, "c2")
    body = {"grid_id": geo.grids[0].id, "address": "长桥新村 5 幢"}
    for openid in ("c1", "c2"):
        response = client.post("/api/v1/households", json=body, headers={**login(client, openid), "Idempotency-Key": "same"})
        assert response.status_code == 201
    assert count(Household) == 2


def test_failed_request_does_not_burn_the_key(client):
    geo = make_geography()
    committee_of(geo, 0)
    headers = {**login(client, "committee"), "Idempotency-Key": "retry-me"}
    invalid = client.post("/api/v1/households", json={"grid_id": geo.grids[0].id, "address": "x"}, headers=headers)
    assert invalid.status_code == 422
    ok = client.post("/api/v1/households", json={"grid_id": geo.grids[0].id, "address": "x"},
                     headers=headers)
    assert ok.status_code == 422  # same bad body is still refused, not replayed as success
    fixed = client.post("/api/v1/households", json={"grid_id": geo.grids[0].id, "address": "长桥新村"},
                        headers=headers)
    assert fixed.status_code == 201
