"""Property test over the OpenAPI document: generated input never causes a 500, every error has the
agreed shape, and a refused request changes nothing in the database.

Schemathesis generates valid and invalid requests for every documented operation; the caller is a
verified resident who is also on a committee, so requests get past authentication into the rules.
A second pass takes generated requests and makes them hostile in ways a schema does not describe:
a JSON body nested too deeply to decode, and a NUL inside every string of the body and query.
"""
from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from backend.accounts.models import RoleAssignment
from backend.extensions import db
from tests.factories import login, make_geography, make_household, make_invite, make_verified_resident, row_counts

EXAMPLES = 15
HOSTILE_EXAMPLES = 4
ERROR_KEYS = {"code", "status", "message", "reason"}
DEEP_BODIES = {"arrays nested too deeply": b"[" * 5000 + b"]" * 5000,
               "objects nested too deeply": b'{"a":' * 2000 + b"1" + b"}" * 2000}


@pytest.fixture
def fuzz_app(make_app):
    app = make_app(TESTING=False)  # a crash must surface as the 500 a client would see
    with app.app_context():
        geo = make_geography()
        household = make_household(geo.grids[0])
        make_invite(household)
        user = make_verified_resident("fuzzer", household, phone="13812345678")
        db.session.add(RoleAssignment(user_id=user.id, role="committee", scope_type="community",
                                      scope_id=geo.communities[0].id))
        db.session.commit()
        yield app


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_generated_requests_never_break_the_api(fuzz_app):
    client = fuzz_app.test_client()
    auth = login(client, "fuzzer")
    failures: list[str] = []

    for operation in operations(fuzz_app):
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            case.headers = {**(case.headers or {}), **auth}
            before = row_counts()
            response = case.call(app=fuzz_app)
            label = f"{case.method} {case.formatted_path} → {response.status_code}"
            if response.status_code == 500:
                failures.append(label)
                return
            if response.status_code >= 400:
                body = response.json()
                if not ERROR_KEYS <= set(body):
                    failures.append(f"{label}: body {body}")
                if response.status_code != 401 and row_counts() != before:
                    failures.append(f"{label}: a refused request changed the database")

        exercise()
        db.session.rollback()

    assert failures == [], "\n".join(sorted(set(failures))[:60])


def with_nul(value):
    """`value` with a NUL inside every string it holds (keys left alone: unknown ones are refused anyway)."""
    if isinstance(value, str):
        return value[:1] + "\x00" + value[1:]
    if isinstance(value, list):
        return [with_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: with_nul(item) for key, item in value.items()}
    return value


def test_deep_nesting_and_nul_characters_are_refused_everywhere(fuzz_app):
    client = fuzz_app.test_client()
    auth = login(client, "fuzzer")
    failures: list[str] = []

    def expect_refused(label: str, case, **request) -> None:
        before = row_counts()
        response = client.open(case.formatted_path, method=case.method, headers={**(case.headers or {}), **auth},
                               **request)
        label = f"{case.method} {case.operation.path} with {label} → {response.status_code}"  # ids left out
        if not 400 <= response.status_code < 500:
            failures.append(label)
            db.session.rollback()  # the test shares the request's session; a failed flush must not end the run
        elif not response.is_json or not ERROR_KEYS <= set(response.json):
            failures.append(f"{label}: body {response.data[:200]!r}")
        elif row_counts() != before:
            failures.append(f"{label}: a refused request changed the database")

    for operation in operations(fuzz_app):
        takes_json = any(body.media_type == "application/json" for body in operation.body)
        if not takes_json and not any(parameter.location == "query" for parameter in operation.query):
            continue

        @settings(max_examples=HOSTILE_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            query = case.query or {}
            body = case.body if isinstance(case.body, (dict, list)) else None
            as_json = {"content_type": "application/json"}
            if takes_json:
                for name, deep in DEEP_BODIES.items():
                    expect_refused(name, case, data=deep, query_string=query, **as_json)
            if body is not None and with_nul(body) != body:
                expect_refused("a NUL in its body", case, data=json.dumps(with_nul(body)), query_string=query,
                               **as_json)
            if with_nul(query) != query:
                same_body = {"data": json.dumps(body), **as_json} if body is not None else {}
                expect_refused("a NUL in its query", case, query_string=with_nul(query), **same_body)

        exercise()
        db.session.rollback()

    assert failures == [], "\n".join(sorted(set(failures))[:60])
