"""Pooled PostgreSQL connections: pinged before use only after sitting idle, replaced when found dead."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from backend.extensions import db


@pytest.fixture
def pg_app(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("connection pooling is PostgreSQL's (TEST_DATABASE_URL); SQLite opens a file")

    def build(idle_seconds: float):
        return make_app(DATABASE_PING_AFTER_IDLE=idle_seconds, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1})

    return build


def _backend_pid() -> int:
    pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    db.session.commit()
    return pid


def _cut(pid: int) -> None:
    """What a database restart or a firewall does to an idle connection, from outside the pool."""
    with db.engine.pool._creator() as other:  # a raw connection of its own, not from the pool
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        other.commit()


def test_a_connection_cut_while_idle_is_replaced_before_the_request_sees_it(pg_app):
    app = pg_app(idle_seconds=0)  # every checkout after any idle time is checked
    with app.app_context():
        first = _backend_pid()
        _cut(first)
        db.session.remove()
        assert app.test_client().get("/readyz").json["checks"]["database"] == "ok"
        assert _backend_pid() != first


def test_a_connection_in_steady_use_is_not_pinged(pg_app):
    """The other side of the trade: within the idle window nothing is checked (no round trip), so a
    connection cut in that window fails its next statement once, and the pool then starts afresh."""
    app = pg_app(idle_seconds=3600)
    with app.app_context():
        first = _backend_pid()
        _cut(first)
        db.session.remove()
        with pytest.raises(OperationalError):
            db.session.scalar(sa.text("SELECT 1"))
        db.session.rollback()
        assert _backend_pid() != first
