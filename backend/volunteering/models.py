"""Volunteer teams, activities, shifts, sign-ups, attendance, the hours and points ledgers, rewards.

Invariants live in the schema: a shift's `confirmed` counter never exceeds its `capacity` (CHECK),
a person holds one live sign-up per shift (partial UNIQUE), waitlist tickets are unique per shift,
an attendance credits hours once (UNIQUE attendance_id) and points once (UNIQUE dedupe_key), a star
level is awarded once (UNIQUE user, level), and stock never goes below zero (CHECK).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db

ACTIVITY_STATUSES = ("draft", "published", "cancelled")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled")
LIVE_SIGNUP = "status <> 'cancelled'"
# How a sign-up ended when cancelled: by the volunteer before the cutoff or after it (counted in their
# record), removed by an organiser, or with the whole activity.
CANCEL_KINDS = ("self", "late", "removed", "activity_cancelled")
HOURS_KINDS = ("service", "honour")
POINTS_KINDS = ("service", "bonus", "redemption", "refund")
REDEMPTION_STATUSES = ("pending", "collected", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class VolunteerTeam(TimestampMixin, db.Model):
    """A volunteer team (志愿队) or registered social organisation (社会组织) of a community."""

    __tablename__ = "volunteer_teams"
    __table_args__ = (sa.UniqueConstraint("community_id", "name"),
                      sa.CheckConstraint("kind IN ('team', 'social_org')", name="kind_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(16), default="team")
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    members: Mapped[list[TeamMember]] = relationship(back_populates="team", order_by="TeamMember.id",
                                                     cascade="all, delete-orphan")


class TeamMember(db.Model):
    """A person in a volunteer team; organisers (组织者) run the team's activities."""

    __tablename__ = "volunteer_team_members"
    __table_args__ = (sa.UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteer_teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_organiser: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    team: Mapped[VolunteerTeam] = relationship(back_populates="members")
    user = relationship("User")


class VolunteeringSettings(db.Model):
    """A community's volunteering settings: the points rate and the check-in distance."""

    __tablename__ = "volunteering_settings"
    __table_args__ = (sa.CheckConstraint("points_per_hour >= 0", name="rate_not_negative"),
                      sa.CheckConstraint("checkin_radius_m > 0", name="radius_positive"))

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), primary_key=True)
    points_per_hour: Mapped[int] = mapped_column(default=10)
    checkin_radius_m: Mapped[int] = mapped_column(default=500)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShopKeeper(TimestampMixin, db.Model):
    """Someone who hands out rewards at a community's 爱心超市 and marks pickups collected."""

    __tablename__ = "shop_keepers"
    __table_args__ = (sa.UniqueConstraint("community_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user = relationship("User")


class Activity(TimestampMixin, db.Model):
    """A volunteer activity (志愿活动) with one or more shifts; `starts_at`/`ends_at` span its shifts."""

    __tablename__ = "volunteer_activities"
    __table_args__ = (sa.CheckConstraint(_in("status", ACTIVITY_STATUSES), name="status_known"),
                      sa.Index("ix_volunteer_activities_listing", "status", "ends_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("volunteer_teams.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    shifts: Mapped[list[Shift]] = relationship(back_populates="activity", order_by="[Shift.starts_at, Shift.id]")
    community = relationship("Community")
    team: Mapped[VolunteerTeam | None] = relationship()


class Shift(db.Model):
    """One shift (班次) of an activity: when, where, how many.

    `confirmed` counts confirmed sign-ups and only ever moves by conditional UPDATEs; `waitlist_seq`
    is the last waitlist ticket handed out (a per-shift counter bumped under the row lock).
    `revision` counts changes of time or place: reminder jobs and change notices carry it, so a job
    planned for an earlier time does nothing and each change is announced once.
    """

    __tablename__ = "volunteer_shifts"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("confirmed >= 0 AND confirmed <= capacity", name="confirmed_within_capacity"),
        sa.CheckConstraint("waitlist_seq >= 0", name="waitlist_seq_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteer_activities.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(sa.String(100), default="")
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lng: Mapped[float | None] = mapped_column(sa.Float)
    capacity: Mapped[int]
    confirmed: Mapped[int] = mapped_column(default=0)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    waitlist_seq: Mapped[int] = mapped_column(default=0)
    skills: Mapped[list] = mapped_column(sa.JSON, default=list)
    min_age: Mapped[int | None]
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    cancel_cutoff: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

    activity: Mapped[Activity] = relationship(back_populates="shifts")


class ShiftSignup(TimestampMixin, db.Model):
    """A volunteer's sign-up (报名) for a shift: confirmed, waitlisted (with a ticket) or cancelled.

    `waitlist_seq` is the ticket drawn when waitlisted; the position shown is the rank among those
    still waiting. `day_reminder_at`/`hour_reminder_at` record that a reminder was handled (sent or
    not needed), so reminder jobs and the backstop sweep each act once.
    """

    __tablename__ = "volunteer_signups"
    __table_args__ = (
        sa.CheckConstraint(_in("status", SIGNUP_STATUSES), name="status_known"),
        sa.CheckConstraint(f"cancel_kind IS NULL OR {_in('cancel_kind', CANCEL_KINDS)}", name="cancel_kind_known"),
        sa.UniqueConstraint("shift_id", "waitlist_seq"),
        sa.Index("uq_volunteer_signups_live", "shift_id", "user_id", unique=True,
                 postgresql_where=sa.text(LIVE_SIGNUP), sqlite_where=sa.text(LIVE_SIGNUP)),
        sa.Index("ix_volunteer_signups_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteer_shifts.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16))
    waitlist_seq: Mapped[int | None]
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_kind: Mapped[str | None] = mapped_column(sa.String(24))
    day_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hour_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shift: Mapped[Shift] = relationship()
    user = relationship("User")
    attendance: Mapped[Attendance | None] = relationship(back_populates="signup", uselist=False)


class VolunteerAccount(TimestampMixin, db.Model):
    """One row per volunteer, used as their lock: sign-ups (overlaps) and redemptions (balance)
    of one person queue up on it; see `backend.volunteering.locking`."""

    __tablename__ = "volunteer_accounts"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Attendance(db.Model):
    """Check-in and check-out (签到/签退) of a confirmed sign-up; closed once, when hours are credited."""

    __tablename__ = "volunteer_attendances"
    __table_args__ = (
        sa.CheckConstraint("checkin_method IN ('scan', 'manual')", name="checkin_method_known"),
        sa.CheckConstraint("checkout_method IS NULL OR checkout_method IN ('scan', 'manual', 'auto')",
                           name="checkout_method_known"),
        sa.CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
        sa.Index("ix_volunteer_attendances_open", "closed_at", "shift_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteer_signups.id"), unique=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteer_shifts.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checkin_method: Mapped[str] = mapped_column(sa.String(8))
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    checkin_lat: Mapped[float | None] = mapped_column(sa.Float)
    checkin_lng: Mapped[float | None] = mapped_column(sa.Float)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkout_method: Mapped[str | None] = mapped_column(sa.String(8))
    checked_out_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    checkout_missing: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int | None]

    signup: Mapped[ShiftSignup] = relationship(back_populates="attendance")
    shift: Mapped[Shift] = relationship()


class HoursEntry(TimestampMixin, db.Model):
    """A row of the hours ledger (服务时长): credited service from an attendance, or honour hours
    (荣誉时长) granted by hand with a reason. Rows are only ever inserted."""

    __tablename__ = "volunteer_hours"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", HOURS_KINDS), name="kind_known"),
        sa.CheckConstraint("minutes >= 0", name="minutes_not_negative"),
        sa.CheckConstraint("(kind = 'service') = (attendance_id IS NOT NULL)", name="service_has_attendance"),
        sa.Index("ix_volunteer_hours_board", "community_id", "kind", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    minutes: Mapped[int]
    attendance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("volunteer_attendances.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class PointsEntry(TimestampMixin, db.Model):
    """A row of the points ledger (积分流水): an earning (+) or a spending (−); the balance is the sum.

    Rows are only ever inserted; a correction is a new row (a refund), never an edit.
    `dedupe_key` (e.g. `service:<attendance id>`) makes system-made rows happen once.
    """

    __tablename__ = "volunteer_points"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", POINTS_KINDS), name="kind_known"),
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.CheckConstraint("(kind = 'redemption' AND amount < 0) OR (kind <> 'redemption' AND amount > 0)",
                           name="sign_matches_kind"),
        sa.Index("ix_volunteer_points_board", "community_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"))
    amount: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    hours_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("volunteer_hours.id"))
    redemption_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reward_redemptions.id"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class StarAward(db.Model):
    """A star level (星级) reached: 1–5 at 100, 300, 600, 1,000 and 1,500 credited hours."""

    __tablename__ = "volunteer_star_awards"
    __table_args__ = (sa.UniqueConstraint("user_id", "level"),
                      sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    level: Mapped[int]
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reward(TimestampMixin, db.Model):
    """An item of a community's 爱心超市, priced in points, with stock."""

    __tablename__ = "rewards"
    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),
                      sa.CheckConstraint("stock >= 0", name="stock_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    points: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Redemption(TimestampMixin, db.Model):
    """A reward bought with points (兑换), collected at the shop with its pickup code (取货码)."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (sa.CheckConstraint(_in("status", REDEMPTION_STATUSES), name="status_known"),
                      sa.Index("ix_reward_redemptions_shop", "community_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(sa.ForeignKey("rewards.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    points: Mapped[int]
    pickup_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    collected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    reward: Mapped[Reward] = relationship()


@event.listens_for(HoursEntry, "before_update")
@event.listens_for(PointsEntry, "before_update")
def _ledgers_are_append_only(_mapper, _connection, target) -> None:
    """Refuse, in the ORM, to change a ledger row: corrections are new rows."""
    raise TypeError(f"{type(target).__name__} rows are append-only")
