"""Users, roles with scopes, refresh tokens, households and invites."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import TimestampMixin, UTCDateTime
from backend.extensions import db

ROLES = ("grid_worker", "grid_leader", "committee", "street_admin", "district_admin")
# The scope each stored role is bound to. "resident" is implicit for every user and never stored.
ROLE_SCOPES = {
    "grid_worker": "grid",
    "grid_leader": "grid",
    "committee": "community",
    "street_admin": "street",
    "district_admin": "district",
}


class User(TimestampMixin, db.Model):
    """A person who logged in through WeChat — 用户."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(sa.String(64))
    nickname: Mapped[str] = mapped_column(sa.String(32), default="")
    avatar_url: Mapped[str] = mapped_column(sa.String(512), default="")
    real_name: Mapped[str] = mapped_column(sa.String(32), default="")
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    # Self-declared, optional; shown to its owner only. Volunteer shifts with a minimum age need it.
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                       order_by="RoleAssignment.id")
    membership: Mapped[HouseholdMember | None] = relationship(back_populates="user", uselist=False)


class RoleAssignment(TimestampMixin, db.Model):
    """A role held by a user within one scope (grid, community, street or district)."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "scope_id"),
        sa.CheckConstraint(
            "(role IN ('grid_worker', 'grid_leader') AND scope_type = 'grid')"
            " OR (role = 'committee' AND scope_type = 'community')"
            " OR (role = 'street_admin' AND scope_type = 'street')"
            " OR (role = 'district_admin' AND scope_type = 'district')",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    scope_type: Mapped[str] = mapped_column(sa.String(16))
    scope_id: Mapped[int]

    user: Mapped[User] = relationship(back_populates="roles")


class RefreshToken(db.Model):
    """One refresh token of a rotating family; only its hash is stored."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Household(TimestampMixin, db.Model):
    """A household (户) at an address inside a grid."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(200))
    building: Mapped[str] = mapped_column(sa.String(40), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    grid = relationship("Grid")
    members: Mapped[list[HouseholdMember]] = relationship(back_populates="household", order_by="HouseholdMember.id")


class HouseholdMember(db.Model):
    """A user's membership of a household; verified when joined through a committee invite."""

    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"), index=True)
    # A person belongs to one household at a time.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    invite_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household_invites.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    household: Mapped[Household] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="membership")


class HouseholdInvite(TimestampMixin, db.Model):
    """A committee-issued invite code (入户邀请码) that lets residents join a household verified."""

    __tablename__ = "household_invites"
    __table_args__ = (sa.CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(default=6)
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    household: Mapped[Household] = relationship()
