"""Races: the same Idempotency-Key sent 20 times at once, and two people acting on one case at once."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import sqlalchemy as sa

from backend.cases.models import Case, CaseAssignment
from backend.extensions import db
from tests.cases.factories import act, case_row, incident, make_district, make_resident, photo, submit
from tests.factories import login

THREADS = 20


def _at_once(app, calls):
    """Run the calls on threads released together; each thread has its own client (and session)."""
    barrier = Barrier(len(calls))

    def run(call):
        client = app.test_client()
        barrier.wait()
        return call(client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_the_same_key_sent_20_times_at_once_creates_one_case(app, client):
    district = make_district()
    make_resident("alice", district.grids[0])
    auth = login(client, "alice")
    body = incident(photo_ids=[photo(client, auth)])
    headers = {**auth, "Idempotency-Key": "tap-tap-tap"}
    responses = _at_once(app, [lambda c: c.post("/api/v1/cases", json=body, headers=headers)] * THREADS)
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.json for r in responses if r.status_code not in (201, 409)]
    assert 201 in statuses
    created = {r.json["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert all(r.json["reason"] == "idempotency_in_flight" for r in responses if r.status_code == 409)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 1
    # Once the first finished, a retry gets the first response.
    again = client.post("/api/v1/cases", json=body, headers=headers)
    assert again.status_code == 201 and again.json["id"] in created


def test_accept_and_cancel_at_once_one_wins(app, client):
    district = make_district()
    make_resident("alice", district.grids[0])
    resident, worker = login(client, "alice"), login(client, "worker-1")
    case_id = submit(client, resident)["id"]
    accept, cancel = _at_once(app, [lambda c: act(c, worker, case_id, "accept"),
                                    lambda c: act(c, resident, case_id, "cancel")])
    assert sorted([accept.status_code, cancel.status_code]) == [200, 409]
    row = case_row(case_id)
    assert row.status == ("accepted" if accept.status_code == 200 else "cancelled")
    assignment = db.session.scalar(sa.select(CaseAssignment).where(CaseAssignment.case_id == case_id))
    assert (assignment.accepted_at is not None) == (accept.status_code == 200)
    assert (assignment.end_reason == "cancelled") == (cancel.status_code == 200)
