"""Declarative base, constraint naming, the UTC timestamp type shared by every model, and small
query helpers every feature uses."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Check a pooled connection with a round trip before use, but only after it sat idle a while.

    `pool_pre_ping` pings on every checkout: one extra round trip on every request (about 15 % of an
    authenticated read here). A connection in steady use is known to be alive; one that sat idle for
    `idle_seconds` may have been cut (a database restart, a firewall), so it is pinged and, if dead,
    replaced before the request sees it. A connection cut while busy fails that one request, and
    SQLAlchemy then renews the whole pool.
    """
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["linli_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("linli_idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:
            raise sa.exc.DisconnectionError() from exc  # the pool connects afresh and tries again


def rows_by_id(model, ids) -> dict:
    """The rows of `model` with these ids, by id, in one query (none for no ids)."""
    from backend.extensions import db  # it imports this module for the declarative base

    ids = sorted(set(ids))
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))} if ids else {}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no timezone type and hands back naive values; PostgreSQL's
    `timestamptz` returns aware ones. Normalising here means no caller ever sees a naive time.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Base class of every Linli model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """Adds `created_at` (set on insert)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
