"""Access tokens, refresh rotation with reuse detection, logout."""
from __future__ import annotations

import jwt
import pytest

from tests.factories import login_pair


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refresh(client, token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_the_pair(client):
    pair = login_pair(client, "alice")
    rotated = refresh(client, pair["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json["refresh_token"] != pair["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(rotated.json["access_token"])).status_code == 200
    assert refresh(client, rotated.json["refresh_token"]).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_the_family(client):
    pair = login_pair(client, "alice")
    rotated = refresh(client, pair["refresh_token"]).json
    reused = refresh(client, pair["refresh_token"])
    assert reused.status_code == 401 and reused.json["reason"] == "refresh_token_reused"
    # The thief's and the owner's newer token are both dead now.
    after = refresh(client, rotated["refresh_token"])
    assert after.status_code == 401 and after.json["reason"] == "refresh_token_revoked"


def test_other_logins_survive_a_revoked_family(client):
    phone = login_pair(client, "alice")
    tablet = login_pair(client, "alice")
    refresh(client, phone["refresh_token"])
    refresh(client, phone["refresh_token"])  # reuse: revokes the phone's family only
    assert refresh(client, tablet["refresh_token"]).status_code == 200


def test_unknown_refresh_token(client):
    response = refresh(client, "not-a-token")
    assert response.status_code == 401 and response.json["reason"] == "invalid_refresh_token"


def test_expired_refresh_token(make_app):
    app = make_app(REFRESH_TOKEN_TTL=-1)
    with app.app_context():
        client = app.test_client()
        pair = login_pair(client, "alice")
        response = refresh(client, pair["refresh_token"])
        assert response.status_code == 401 and response.json["reason"] == "refresh_token_expired"


def test_logout_revokes_the_refresh_token(client):
    pair = login_pair(client, "alice")
    assert client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    response = refresh(client, pair["refresh_token"])
    assert response.status_code == 401 and response.json["reason"] == "refresh_token_revoked"


@pytest.mark.parametrize("body", [None, b"", b"{}"])
@pytest.mark.parametrize("content_type", [None, "application/json"])
def test_logout_takes_no_body_or_an_empty_object(client, body, content_type):
    pair = login_pair(client, "alice")
    response = client.post("/api/v1/auth/logout", data=body, content_type=content_type,
                           headers=bearer(pair["access_token"]))
    assert response.status_code == 204 and response.data == b""
    assert refresh(client, pair["refresh_token"]).json["reason"] == "refresh_token_revoked"


@pytest.mark.parametrize("body, content_type, status, reason", [
    (b"{bad", "application/json", 400, "bad_request"),
    (b"[" * 2000 + b"]" * 2000, "application/json", 400, "bad_request"),
    (b'{"all_devices": true}', "application/json", 422, "validation_error"),
    (b"[]", "application/json", 422, "validation_error"),
    (b"null", "application/json", 422, "validation_error"),
    (b"{" + b" " * 5000 + b"}", "application/json", 413, "payload_too_large"),
    (b"x" * 5000, "text/plain", 413, "payload_too_large"),
])
def test_a_bad_logout_body_is_refused_and_revokes_nothing(make_app, body, content_type, status, reason):
    app = make_app(MAX_CONTENT_LENGTH=4096)
    with app.app_context():
        client = app.test_client()
        pair = login_pair(client, "alice")
        response = client.post("/api/v1/auth/logout", data=body, content_type=content_type,
                               headers=bearer(pair["access_token"]))
        assert response.status_code == status and response.json["reason"] == reason
        assert set(response.json) >= {"code", "status", "message", "reason"}
        assert refresh(client, pair["refresh_token"]).status_code == 200  # still logged in


def test_expired_access_token_is_401_token_expired(make_app):
    app = make_app(ACCESS_TOKEN_TTL=-5)
    with app.app_context():
        client = app.test_client()
        pair = login_pair(client, "alice")
        response = client.get("/api/v1/me", headers=bearer(pair["access_token"]))
        assert response.status_code == 401 and response.json["reason"] == "token_expired"


def test_forged_and_wrong_type_tokens(client):
    pair = login_pair(client, "alice")
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-of-sufficient-length-123456", algorithm="HS256")
    assert client.get("/api/v1/me", headers=bearer(forged)).json["reason"] == "invalid_token"
    none_alg = jwt.encode(claims, None, algorithm="none")
    assert client.get("/api/v1/me", headers=bearer(none_alg)).status_code == 401
    # A refresh token is not an access token.
    assert client.get("/api/v1/me", headers=bearer(pair["refresh_token"])).status_code == 401


def test_token_of_a_deleted_user(client, app):
    from backend.accounts.models import User
    from backend.extensions import db

    pair = login_pair(client, "alice")
    db.session.get(User, pair["user"]["id"]).is_active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(pair["access_token"])).status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401
