"""District → street → community → grid, grid boundaries, staff skills and the duty roster."""
from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db


class District(db.Model):
    """A district (区), the top of the hierarchy; code like `320506`."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))

    streets: Mapped[list[Street]] = relationship(back_populates="district", order_by="Street.code")


class Street(db.Model):
    """A street or town (街道/镇); code like `320506-003`."""

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))

    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list[Community]] = relationship(back_populates="street", order_by="Community.code")


class Community(db.Model):
    """A community or village (社区/村); code like `320506-003-012`."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(sa.ForeignKey("streets.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))

    street: Mapped[Street] = relationship(back_populates="communities")
    grids: Mapped[list[Grid]] = relationship(back_populates="community", order_by="Grid.code")


class Grid(TimestampMixin, db.Model):
    """A grid (网格), the smallest unit of governance; code like `320506-003-012-07`.

    The boundary is GeoJSON text (lng/lat, WGS-84 as the mini-program reports it) so the same
    schema works on SQLite and PostgreSQL; the in-process STRtree does the spatial work.
    """

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    boundary: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    community: Mapped[Community] = relationship(back_populates="grids")


class GeoVersion(db.Model):
    """A counter bumped whenever grid boundaries change, so every process rebuilds its index."""

    __tablename__ = "geo_versions"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class StaffSkill(db.Model):
    """A skill a staff member has (e.g. `elderly_care`, `plumbing`, `dispute_mediation`)."""

    __tablename__ = "staff_skills"
    __table_args__ = (sa.UniqueConstraint("user_id", "skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(sa.String(32))


class DutyWindow(db.Model):
    """A weekly on-duty window in local time (weekday 0 = Monday)."""

    __tablename__ = "duty_windows"
    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    starts: Mapped[time] = mapped_column(sa.Time)
    ends: Mapped[time] = mapped_column(sa.Time)


class DutyException(db.Model):
    """An exception to the weekly roster: leave (off duty) or an extra shift (on duty)."""

    __tablename__ = "duty_exceptions"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    on_duty: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.String(100), default="")
