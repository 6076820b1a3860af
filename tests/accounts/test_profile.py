"""GET/PATCH /me, phone binding and masking."""
from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.extensions import db
from tests.factories import login, make_geography, make_household, make_staff, make_verified_resident


def test_patch_profile(client):
    headers = login(client, "alice")
    response = client.patch("/api/v1/me", json={"nickname": "小李", "real_name": "李梅"}, headers=headers)
    assert response.status_code == 200 and response.json["nickname"] == "小李"
    assert client.get("/api/v1/me", headers=headers).json["real_name"] == "李梅"


@pytest.mark.parametrize("body", [
    {"verified": True},
    {"roles": [{"role": "district_admin"}]},
    {"nickname": "x" * 33},
    {"nickname": 5},
    {"avatar_url": "http://insecure.example/a.png"},
    {"avatar_url": "javascript:alert(1)"},
])
def test_patch_refuses_bad_or_protected_fields_and_changes_nothing(client, body):
    headers = login(client, "alice")
    response = client.patch("/api/v1/me", json=body, headers=headers)
    assert response.status_code == 422 and response.json["reason"] == "validation_error"
    assert response.json["errors"]["json"]
    me = client.get("/api/v1/me", headers=headers).json
    assert me["nickname"] == "" and me["verified"] is False and len(me["roles"]) == 1


def test_bind_phone_in_dev_mode(client):
    headers = login(client, "alice")
    response = client.post("/api/v1/me/phone", json={"code": "dev:13812345678"}, headers=headers)
    assert response.status_code == 200 and response.json["phone"] == "13812345678"


def test_bind_phone_through_wechat(make_app, fake_wechat, wechat_settings):
    fake = fake_wechat.fake
    app = make_app(**wechat_settings)
    with app.app_context():
        client = app.test_client()
        fake.codes["c1"] = "o-alice"
        token = client.post("/api/v1/auth/wechat-login", json={"code": "c1"}).json["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        fake.phone_codes["p1"] = "13900001111"
        response = client.post("/api/v1/me/phone", json={"code": "p1"}, headers=headers)
        assert response.status_code == 200 and response.json["phone"] == "13900001111"
        bad = client.post("/api/v1/me/phone", json={"code": "unknown"}, headers=headers)
        assert bad.status_code == 400 and bad.json["reason"] == "invalid_code"
        assert db.session.get(User, response.json["id"]).phone == "13900001111"


def test_phones_are_masked_for_neighbours_and_full_for_grid_staff(client):
    geo = make_geography()
    household = make_household(geo.grids[0])
    make_verified_resident("alice", household, phone="13812345678")
    make_verified_resident("bob", household, phone="13998765432")
    make_staff("worker-in", geo.grids[0])
    make_staff("worker-out", geo.grids[3])

    def phones(openid):
        response = client.get(f"/api/v1/households/{household.id}", headers=login(client, openid))
        return response.status_code, {m["user_id"]: m["phone"] for m in response.json.get("members", [])}

    status, seen_by_alice = phones("alice")
    assert status == 200
    assert sorted(seen_by_alice.values()) == ["13812345678", "139****5432"]
    assert sorted(phones("worker-in")[1].values()) == ["13812345678", "13998765432"]
    assert phones("worker-out")[0] == 403
    assert phones("stranger")[0] == 403
