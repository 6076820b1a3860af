"""Tables of the shared mechanisms: the dispatch outbox, idempotency records, job heartbeats."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import TimestampMixin, UTCDateTime
from backend.extensions import db


class OutboxEntry(TimestampMixin, db.Model):
    """Background work recorded in the same transaction as the change that needs it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(120))
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")


class IdempotencyRecord(TimestampMixin, db.Model):
    """The first response to a write a phone may retry, keyed by user and `Idempotency-Key`."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)


class JobHeartbeat(db.Model):
    """Last run of a named periodic or test job, so readiness and tests can see jobs ran."""

    __tablename__ = "job_heartbeats"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    beats: Mapped[int] = mapped_column(default=0)
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
