"""The OpenAPI document is complete and the committed copy in docs/ is current."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.test_policies import declared_routes

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def test_every_operation_is_described(client):
    spec = client.get("/api/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert "default" in operation["responses"] or any(c.startswith("4") for c in operation["responses"])


def test_every_route_is_in_the_document(app, client):
    documented = {(path, method.upper()) for path, ops in client.get("/api/openapi.json").json["paths"].items()
                  for method in ops if method != "parameters"}
    framework = {"/api/openapi.json", "/api/docs", "/api/docs/", "/static/<path:filename>"}
    for rule, method, _ in declared_routes(app):
        if rule.rule in framework:
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        assert (path, method) in documented, f"{method} {rule.rule} is not documented"


def test_protected_operations_declare_bearer_auth(app, client):
    spec = client.get("/api/openapi.json").json
    login = spec["paths"]["/api/v1/auth/wechat-login"]["post"]
    assert "security" not in login
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]


def test_committed_document_is_current(client):
    current = client.get("/api/openapi.json").json
    assert COMMITTED.exists(), "run `make openapi` to write docs/openapi.json"
    assert json.loads(COMMITTED.read_text()) == current, "docs/openapi.json is stale: run `make openapi`"
