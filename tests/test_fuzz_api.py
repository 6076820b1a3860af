"""Property test over the OpenAPI document: generated input never causes a 500, every error has the
agreed shape, and a refused request changes nothing in the database.

Schemathesis generates valid and invalid requests for every documented operation; the caller is a
verified resident who is also on a committee, so requests get past authentication into the rules.
"""
from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from backend.accounts.models import RoleAssignment
from backend.extensions import db
from tests.factories import login, make_geography, make_household, make_invite, make_verified_resident

EXAMPLES = 15
ERROR_KEYS = {"code", "status", "message", "reason"}


def row_counts() -> tuple[int, ...]:
    """Every table's row count, in one round trip."""
    counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in db.metadata.sorted_tables]
    return tuple(db.session.execute(sa.select(*counts)).one())


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
