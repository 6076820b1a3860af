"""Every failure answers with the one JSON error shape, never HTML or a stack trace."""
from __future__ import annotations

import logging

import pytest

from backend.config import ConfigError, check, from_environment
from tests.factories import login

SHAPE = {"code", "status", "message", "reason"}


def test_unknown_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json
    assert set(response.json) >= SHAPE and response.json["reason"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/v1/me")
    assert response.status_code == 405 and response.json["reason"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_json_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    with app.app_context():
        response = app.test_client().post("/api/v1/auth/wechat-login", data=b"{" + b" " * 4096 + b"}",
                                          content_type="application/json")
        assert response.status_code == 413 and response.json["reason"] == "payload_too_large"


def test_unexpected_error_is_a_plain_500(make_app, caplog):
    app = make_app(TESTING=False)

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    with app.app_context(), caplog.at_level(logging.ERROR):
        response = app.test_client().get("/explode")
    assert response.status_code == 500 and response.is_json
    assert response.json["reason"] == "internal_error"
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert "secret internal detail" in caplog.text  # but the operator sees it in the log


def test_validation_errors_name_the_field(client):
    response = client.get("/api/v1/grids/locate?lat=abc&lng=120.6", headers=login(client, "alice"))
    assert response.status_code == 422
    assert set(response.json) >= SHAPE and "lat" in response.json["errors"]["query"]


def test_messages_are_chinese(client):
    message = client.get("/api/v1/me").json["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_production_refuses_unsafe_settings():
    base = {"LINLI_ENV": "production", "SECRET_KEY": "x" * 40, "DEV_LOGIN": "0",
            "WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "PUBLIC_BASE_URL": "https://linli.example.org"}
    check(from_environment(base))  # safe settings pass
    for unsafe in ({"SECRET_KEY": ""}, {"SECRET_KEY": "short"}, {"DEV_LOGIN": "1"}, {"WECHAT_SECRET": ""},
                   {"PUBLIC_BASE_URL": ""}, {"PUBLIC_BASE_URL": "http://linli.example.org"}):
        with pytest.raises(ConfigError):
            check(from_environment({**base, **unsafe}))
    default_secret = dict(base)
    del default_secret["SECRET_KEY"]
    with pytest.raises(ConfigError):
        check(from_environment(default_secret))


def test_production_defaults_dev_login_off():
    assert from_environment({"LINLI_ENV": "production"})["DEV_LOGIN"] is False
    assert from_environment({})["DEV_LOGIN"] is True


def test_health_and_docs(client):
    assert client.get("/healthz").json == {"status": "ok", "checks": {}}
    assert client.get("/readyz").json == {"status": "ok", "checks": {"database": "ok"}}
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/docs-assets/swagger-ui-bundle.js" in docs.data
    assert b"//cdn" not in docs.data and b"unpkg" not in docs.data
    asset = client.get("/api/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()
    spec = client.get("/api/openapi.json").json
    assert "/api/v1/grids/locate" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_readyz_reports_a_dead_redis(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        response = app.test_client().get("/readyz")
        assert response.status_code == 503 and response.json["checks"]["redis"].startswith("error")


def test_out_of_range_ids_are_404_or_422_not_500(client):
    headers = login(client, "alice")
    assert client.get(f"/api/v1/grids/{2**40}", headers=headers).status_code == 404
    assert client.get("/api/v1/grids/0", headers=headers).status_code == 404
    assert client.get(f"/api/v1/communities?street_id={2**40}", headers=headers).status_code == 422
    assert client.get("/api/v1/communities?street_id=1", headers=headers).status_code == 200


def test_absurd_pages_are_422(client):
    headers = login(client, "alice")
    response = client.get(f"/api/v1/grids?page={10**20}", headers=headers)
    assert response.status_code == 422 and "page" in response.json["errors"]["query"]
    assert client.get("/api/v1/grids?page_size=101", headers=headers).status_code == 422
