"""GET /cases/stats: response, resolution and satisfaction rates and median times, scoped to the caller."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.cases.models import Case, CaseAssignment
from backend.core.db import utcnow
from backend.extensions import db
from tests.cases.factories import act, incident, make_district, make_resident, photo, submit
from tests.factories import login


@pytest.fixture
def history(client, app):
    """Two closed cases of grid 0 (one on time and liked, one late and disliked), one open in grid 3, one cancelled."""
    district = make_district(workers=(("electrical",),))
    make_resident("alice", district.grids[0])
    make_resident("bob", district.grids[3])
    alice, worker = login(client, "alice"), login(client, "worker-1")
    cases = []
    for score in (5, 2):
        case_id = submit(client, alice)["id"]
        for step in ("accept", "start"):
            act(client, worker, case_id, step)
        act(client, worker, case_id, "resolve", {"note": "已修好", "photo_ids": [photo(client, worker)]})
        act(client, alice, case_id, "confirm")
        act(client, alice, case_id, "rate", {"score": score})
        cases.append(case_id)
    on_time, late = cases
    open_case = submit(client, login(client, "bob"), incident(grid_index=3))["id"]
    act(client, alice, submit(client, alice)["id"], "cancel")
    # Fix the clock readings: both submitted 5 days ago; accepted after 10 and 50 minutes (limit 30);
    # resolved after 20 and 60 hours (limit 48).
    t = utcnow() - timedelta(days=5)
    for case_id, accepted, resolved in ((on_time, 10, 20), (late, 50, 60)):
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(
            created_at=t, resolve_due_at=t + timedelta(hours=48), first_resolved_at=t + timedelta(hours=resolved)))
        db.session.execute(sa.update(CaseAssignment).where(CaseAssignment.case_id == case_id).values(
            assigned_at=t, accept_due_at=t + timedelta(minutes=30), accepted_at=t + timedelta(minutes=accepted)))
    db.session.commit()
    return district, on_time, late, open_case


def test_rates_and_medians(client, history):
    district, *_ = history
    stats = client.get("/api/v1/cases/stats", headers=login(client, "admin"))
    assert stats.status_code == 200, stats.json
    overall = stats.json["overall"]
    assert overall["cases"] == 3  # the cancelled one does not count
    assert (overall["responded_in_time"], overall["response_due"], overall["response_rate"]) == (1, 2, 0.5)
    assert (overall["resolved_in_time"], overall["resolution_due"], overall["resolution_rate"]) == (1, 2, 0.5)
    assert (overall["satisfied"], overall["rated"], overall["satisfaction_rate"]) == (1, 2, 0.5)
    assert overall["median_accept_minutes"] == 30.0 and overall["median_resolve_hours"] == 40.0

    grids = {g["code"]: g for g in stats.json["grids"]}
    assert grids[district.grids[0].code]["cases"] == 2 and grids[district.grids[3].code]["cases"] == 1
    assert grids[district.grids[3].code]["response_rate"] is None  # nothing decided yet
    assert [c["name"] for c in stats.json["communities"]] == ["测试1社区", "测试2社区"]
    workers = {w["name"]: w for w in stats.json["workers"]}
    assert workers["张三"]["response_rate"] == 0.5 and workers["张三"]["satisfaction_rate"] == 0.5
    assert "committee-2" in workers  # the open case sits in the committee's pool


def test_stats_are_scoped_to_what_the_caller_covers(client, history):
    district, *_ = history
    leader = client.get("/api/v1/cases/stats", headers=login(client, "leader")).json
    assert leader["overall"]["cases"] == 2 and [g["code"] for g in leader["grids"]] == [district.grids[0].code]
    committee2 = client.get("/api/v1/cases/stats", headers=login(client, "committee-2")).json
    assert committee2["overall"]["cases"] == 1 and [c["name"] for c in committee2["communities"]] == ["测试2社区"]
    worker = client.get("/api/v1/cases/stats", headers=login(client, "worker-1")).json
    assert [w["name"] for w in worker["workers"]] == ["张三"]  # only their own row among workers
    other = client.get("/api/v1/cases/stats", headers=login(client, "other-worker")).json
    assert other["overall"]["cases"] == 0 and other["workers"] == []


def test_the_period_is_checked(client, history):
    admin = login(client, "admin")
    recent = client.get(f"/api/v1/cases/stats?since={(utcnow() - timedelta(days=1)).isoformat()}".replace("+", "%2B"),
                        headers=admin)
    assert recent.status_code == 200 and recent.json["overall"]["cases"] == 1  # the open one, submitted today
    for query in ("since=2026-01-01T00:00:00Z&until=2025-01-01T00:00:00Z", "since=2020-01-01T00:00:00Z",
                  "since=yesterday"):
        response = client.get(f"/api/v1/cases/stats?{query}", headers=admin)
        assert response.status_code == 422, query
