"""Generated requests against the case operations, with a seeded catalogue and a staffed district: no 500s,
every error in the agreed shape, and a refused request changes nothing.

The repository-wide fuzz test runs without categories, so every submission stops at `unknown_category`;
here the catalogue exists, a case exists in each status, and the caller is a resident who is also a grid
worker and leader of grid 0, so generated input reaches the rules.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from backend.accounts.models import RoleAssignment
from backend.extensions import db
from tests.cases.factories import act, make_district, make_resident, row_counts, submit
from tests.factories import login

EXAMPLES = 30
ERROR_KEYS = {"code", "status", "message", "reason"}


@pytest.fixture
def fuzz_world(make_app):
    app = make_app(TESTING=False, CASES_PER_HOUR=100_000)  # a crash must surface as the 500 a client would see
    with app.app_context():
        district = make_district()
        fuzzer = make_resident("fuzzer", district.grids[0])
        for role in ("grid_worker", "grid_leader"):
            db.session.add(RoleAssignment(user_id=fuzzer.id, role=role, scope_type="grid",
                                          scope_id=district.grids[0].id))
        db.session.commit()
        client = app.test_client()
        headers = login(client, "fuzzer")
        worker = login(client, "worker-1")
        for steps in ([], ["accept"], ["accept", "start"]):
            case_id = submit(client, headers)["id"]
            for step in steps:
                act(client, worker, case_id, step)
        yield app, headers


def test_generated_case_requests_never_break_the_api(fuzz_world):
    app, auth = fuzz_world
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if "/case" in op.path]
    assert len(operations) >= 15
    failures: list[str] = []

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            case.headers = {**(case.headers or {}), **auth}
            before = row_counts()
            response = case.call(app=app)
            label = f"{case.method} {case.formatted_path} → {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{label}: {response.text[:200]}")
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

