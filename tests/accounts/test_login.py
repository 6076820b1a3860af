"""WeChat login through the real client against the fake WeChat server, and dev login."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db


@pytest.fixture
def wechat_app(make_app, wechat_settings):
    """The app configured with WeChat credentials, talking to the fake server (dev login off)."""
    app = make_app(**wechat_settings, DEV_LOGIN=False)
    with app.app_context():
        yield app


def users() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_wechat_login_creates_the_user_once(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    fake_wechat.fake.codes["code-1"] = "o-alice"
    fake_wechat.fake.codes["code-2"] = "o-alice"
    first = client.post("/api/v1/auth/wechat-login", json={"code": "code-1"})
    assert first.status_code == 200, first.json
    assert first.json["token_type"] == "Bearer" and first.json["expires_in"] == 900
    assert "session_key" not in first.text and "openid" not in first.json["user"]
    second = client.post("/api/v1/auth/wechat-login", json={"code": "code-2"})
    assert second.json["user"]["id"] == first.json["user"]["id"]
    assert users() == 1
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second.json['access_token']}"})
    assert me.status_code == 200 and me.json["roles"][0]["role"] == "resident"


@pytest.mark.parametrize("errcode, status, reason", [
    (40029, 400, "invalid_code"),
    (45011, 429, "wechat_rate_limited"),
    (40226, 403, "wechat_user_blocked"),
    (-1, 503, "wechat_busy"),
])
def test_wechat_errors_become_clear_client_errors(wechat_app, fake_wechat, errcode, status, reason):
    fake_wechat.fake.codes["code-x"] = "o-bob"
    fake_wechat.fake.fail_next("/sns/jscode2session", errcode)
    response = wechat_app.test_client().post("/api/v1/auth/wechat-login", json={"code": "code-x"})
    assert response.status_code == status
    assert response.json["reason"] == reason and response.json["code"] == status
    assert response.json["message"]
    assert users() == 0


def test_unknown_code_is_400(wechat_app):
    response = wechat_app.test_client().post("/api/v1/auth/wechat-login", json={"code": "never-issued"})
    assert response.status_code == 400 and response.json["reason"] == "invalid_code"


def test_rate_limit_says_when_to_retry(wechat_app, fake_wechat):
    fake_wechat.fake.fail_next("/sns/jscode2session", 45011)
    response = wechat_app.test_client().post("/api/v1/auth/wechat-login", json={"code": "c"})
    assert response.headers["Retry-After"] == "60"


def test_wechat_unreachable_is_503(make_app):
    app = make_app(WECHAT_APPID="wx1", WECHAT_SECRET="s", WECHAT_API_BASE="http://127.0.0.1:1", DEV_LOGIN=False)
    with app.app_context():
        response = app.test_client().post("/api/v1/auth/wechat-login", json={"code": "c"})
        assert response.status_code == 503 and response.json["reason"] == "wechat_busy"
        assert users() == 0


def test_dev_codes_are_not_dev_login_when_wechat_is_configured(wechat_app):
    response = wechat_app.test_client().post("/api/v1/auth/wechat-login", json={"code": "dev:demo-admin"})
    assert response.status_code == 400 and response.json["reason"] == "invalid_code"
    assert users() == 0


def test_dev_login_creates_a_plain_resident(client):
    response = client.post("/api/v1/auth/wechat-login", json={"code": "dev:someone"})
    assert response.status_code == 200
    assert [r["role"] for r in response.json["user"]["roles"]] == ["resident"]
    assert response.json["user"]["verified"] is False
    assert db.session.scalar(sa.select(User.openid)) == "someone"


def test_dev_login_off_without_wechat_is_503(make_app):
    app = make_app(DEV_LOGIN=False)
    with app.app_context():
        response = app.test_client().post("/api/v1/auth/wechat-login", json={"code": "dev:someone"})
        assert response.status_code == 503 and response.json["reason"] == "wechat_not_configured"
        assert users() == 0


@pytest.mark.parametrize("body, status", [
    ({}, 422),
    ({"code": ""}, 422),
    ({"code": 12}, 422),
    ({"code": "dev:x", "role": "district_admin"}, 422),
    ({"code": "x" * 200}, 422),
    ({"code": "dev:"}, 422),
    ([], 422),
])
def test_bad_login_bodies(client, body, status):
    response = client.post("/api/v1/auth/wechat-login", json=body)
    assert response.status_code == status, response.json
    assert set(response.json) >= {"code", "status", "message", "reason"}
    assert users() == 0


@pytest.mark.parametrize("code", ["dev:   ", "dev: \t ", "dev:\u3000", "dev:demo admin", "dev:a\x01b",
                                  "dev:a\x7fb", "dev:a\x00b", "dev:" + "x" * 65])
def test_dev_login_refuses_a_blank_or_unreadable_openid(client, code):
    response = client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == 422, response.json
    assert set(response.json) >= {"code", "status", "message", "reason"} and "code" in response.json["errors"]["json"]
    assert users() == 0


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/wechat-login", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json["code"] == 400
