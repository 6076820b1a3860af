"""In-app notifications, subscribe-message consents and outgoing WeChat messages."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import TimestampMixin, UTCDateTime
from backend.extensions import db


class Notification(TimestampMixin, db.Model):
    """One message in a user's in-app inbox (消息).

    `dedupe_key` makes notifying idempotent: a job that runs twice notifies once.
    """

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(60))
    body: Mapped[str] = mapped_column(sa.String(500), default="")
    link: Mapped[str] = mapped_column(sa.String(200), default="", doc="mini-program page path")
    subject_type: Mapped[str | None] = mapped_column(sa.String(32))
    subject_id: Mapped[int | None]
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubscribeConsent(db.Model):
    """How many one-time subscribe messages of a template a user has allowed and not yet received."""

    __tablename__ = "subscribe_consents"
    __table_args__ = (sa.UniqueConstraint("user_id", "template_id"),
                      sa.CheckConstraint("remaining >= 0", name="remaining_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    template_id: Mapped[str] = mapped_column(sa.String(64))
    remaining: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutgoingMessage(TimestampMixin, db.Model):
    """A WeChat subscribe message to send for a notification; sent by its own job with retries."""

    __tablename__ = "outgoing_messages"
    __table_args__ = (sa.CheckConstraint(
        "status IN ('pending', 'sent', 'no_consent', 'failed')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(sa.String(64))
    page: Mapped[str] = mapped_column(sa.String(200), default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
