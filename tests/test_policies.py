"""Every route declares a policy, and every non-public one refuses anonymous callers."""
from __future__ import annotations

import re

import pytest

from backend.core.policies import FRAMEWORK_PUBLIC_ENDPOINTS, POLICIES

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def declared_routes(app):
    """(rule, method, policy or None) for every route of the app."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods & set(HTTP_METHODS)):
            if rule.endpoint in FRAMEWORK_PUBLIC_ENDPOINTS:
                yield rule, method, "public"
                continue
            view_class = getattr(view, "view_class", None)
            handler = getattr(view_class, method.lower(), None) if view_class else view
            yield rule, method, getattr(handler, "_policy", None)


def test_every_route_declares_a_known_policy(app):
    missing = [f"{method} {rule.rule}" for rule, method, policy in declared_routes(app) if policy is None]
    assert missing == [], f"routes without a declared policy: {missing}"
    unknown = [policy for _, _, policy in declared_routes(app) if policy not in POLICIES]
    assert unknown == []


def test_there_are_routes_to_check(app):
    assert len(list(declared_routes(app))) > 15


def _concrete(rule) -> str:
    return re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)


def test_anonymous_callers_get_401_on_every_protected_route(app, client):
    protected = [(rule, method) for rule, method, policy in declared_routes(app) if policy != "public"]
    assert protected
    for rule, method in protected:
        response = client.open(_concrete(rule), method=method, json={})
        assert response.status_code == 401, f"{method} {rule.rule} → {response.status_code}"
        assert response.json["reason"] == "unauthorized"
        assert response.json["message"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic abc", "Bearer ", "Token x.y.z"])
def test_malformed_tokens_are_refused_everywhere(app, client, header):
    for rule, method, policy in declared_routes(app):
        if policy == "public":
            continue
        response = client.open(_concrete(rule), method=method, json={}, headers={"Authorization": header})
        assert response.status_code == 401, f"{method} {rule.rule}"
        assert response.json["reason"] == "invalid_token"
