"""Timestamps are stored in UTC and come back aware on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from backend.core.db import UTCDateTime
from backend.core.models import JobHeartbeat
from backend.extensions import db


def test_times_round_trip_as_aware_utc(app):
    shanghai = timezone(timedelta(hours=8))
    db.session.add(JobHeartbeat(name="t", beats=1, last_beat_at=datetime(2026, 11, 29, 8, 0, tzinfo=shanghai)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(JobHeartbeat, "t").last_beat_at
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 11, 29, 0, 0, tzinfo=timezone.utc)


def test_naive_times_are_refused(app):
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), db.engine.dialect)


def test_api_times_carry_an_offset(client):
    created = client.post("/api/v1/auth/wechat-login", json={"code": "dev:alice"}).json["user"]["created_at"]
    assert created.endswith("+00:00")


def test_foreign_keys_are_enforced(app):
    import sqlalchemy.exc

    from backend.accounts.models import Household

    db.session.add(Household(grid_id=987654, address="不存在的网格"))
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_sqlite_runs_in_wal_mode(app):
    import sqlalchemy as sa

    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting; PostgreSQL has no journal mode")
    assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
