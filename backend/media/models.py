"""The record of an uploaded photo."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import TimestampMixin
from backend.extensions import db


class MediaFile(TimestampMixin, db.Model):
    """An uploaded photo — 照片 — re-encoded, with its thumbnail, stored under generated keys.

    `attached_type`/`attached_id` name the object a later feature attaches it to (a case, a topic);
    both are NULL until then. `screening` is WeChat's image check (see `backend.media.screening`):
    `pass` unless a feature asked for a check, `pending` until the verdict is pushed, then `pass`,
    `review` (held for the object's managers) or `risky` (managers only).
    """

    __tablename__ = "media_files"
    __table_args__ = (
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="content_type"),
        sa.CheckConstraint("(attached_type IS NULL) = (attached_id IS NULL)", name="attachment"),
        sa.CheckConstraint("width > 0 AND height > 0 AND size > 0", name="positive_size"),
        sa.CheckConstraint("screening IN ('pass', 'pending', 'review', 'risky')", name="screening"),
        sa.Index("ix_media_files_attachment", "attached_type", "attached_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    storage_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    thumbnail_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes of the stored (re-encoded) photo, as served
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the stored photo, as served
    attached_type: Mapped[str | None] = mapped_column(sa.String(32))
    attached_id: Mapped[int | None]
    screening: Mapped[str] = mapped_column(sa.String(16), default="pass", server_default="pass")
    screening_trace_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # mediaCheckAsync's
