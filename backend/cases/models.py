"""Cases — 工单: incident reports and service requests, their assignments, timeline and followers."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db

KINDS = ("incident", "service")
STATUSES = ("submitted", "assigned", "accepted", "in_progress", "resolved", "closed", "cancelled")
# Statuses in which somebody still owes the resident work; the SLA clocks run in these.
OPEN_STATUSES = ("submitted", "assigned", "accepted", "in_progress")
MAX_ESCALATION = 3  # 0 none, 1 grid leader, 2 community committee, 3 street
# The cases waiting for an assignee, as SQL: the routing-retry index covers only these, and the sweep's query
# names them by this literal so both databases see that the index applies.
WAITING_FOR_ROUTING = "status = 'submitted'"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CaseCategory(db.Model):
    """A category of the two-level catalogue — 事项分类 — e.g. 市容环境 › 路灯损坏.

    Only second-level categories (with a parent) are chosen for cases; a first-level one groups them
    and its limits are the defaults for new children.
    """

    __tablename__ = "case_categories"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="kind_known"),
        sa.CheckConstraint("accept_minutes > 0 AND resolve_hours > 0", name="positive_limits"),
        sa.CheckConstraint("dedup_radius_m >= 0 AND dedup_radius_m <= 5000", name="radius_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_categories.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    requires_location: Mapped[bool] = mapped_column(default=True)
    requires_photo: Mapped[bool] = mapped_column(default=False)
    allows_anonymous: Mapped[bool] = mapped_column(default=False)
    skill: Mapped[str | None] = mapped_column(sa.String(32))
    dedup_radius_m: Mapped[int] = mapped_column(default=100)
    accept_minutes: Mapped[int] = mapped_column(default=60)
    resolve_hours: Mapped[int] = mapped_column(default=72)
    urgent: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[CaseCategory | None] = relationship(remote_side="CaseCategory.id")


class Case(TimestampMixin, db.Model):
    """One work order — 工单 — for an incident (网格事件) or a service request (便民服务).

    `status` is the lifecycle; `escalation_level` (督办) and overdue-ness are separate from it.
    `attempt` counts assignments: every assignment is a conditional update that moves it by one,
    and `case_assignments` is unique on (case, attempt), so a routing job that runs twice assigns once.
    """

    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="kind_known"),
        sa.CheckConstraint(_in("status", STATUSES), name="status_known"),
        sa.CheckConstraint(f"escalation_level >= 0 AND escalation_level <= {MAX_ESCALATION}", name="escalation_range"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        sa.CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="lat_lng_together"),
        sa.CheckConstraint("status NOT IN ('assigned', 'accepted', 'in_progress', 'resolved') OR assignee_id IS NOT NULL",
                           name="assigned_has_assignee"),
        sa.Index("ix_cases_assignee_status", "assignee_id", "status"),
        sa.Index("ix_cases_grid_status", "grid_id", "status"),
        sa.Index("ix_cases_community_status", "community_id", "status"),
        sa.Index("ix_cases_category_status", "category_id", "status"),
        sa.Index("ix_cases_routing_retry_at", "routing_retry_at", postgresql_where=sa.text(WAITING_FOR_ROUTING),
                 sqlite_where=sa.text(WAITING_FOR_ROUTING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("case_categories.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(sa.String(1000))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    photo_ids: Mapped[list] = mapped_column(sa.JSON, default=list)

    # Where the case is: set at submission, confirmed (or cleared) by routing.
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grids.id"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))

    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assignee_role: Mapped[str | None] = mapped_column(sa.String(32))
    attempt: Mapped[int] = mapped_column(default=0)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirm_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the sweep routes again a case nobody could take; cleared by an assignment.
    routing_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # SLA: the resolve deadline runs from submission; escalation climbs one level per missed step.
    resolve_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    escalation_level: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)

    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(sa.String(200), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[CaseCategory] = relationship()
    reporter = relationship("User", foreign_keys=[reporter_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    grid = relationship("Grid")
    community = relationship("Community")


class CaseAssignment(db.Model):
    """One assignment of a case to a person, with how it ended — 派单记录.

    UNIQUE(case_id, attempt) is the idempotency key of assignment.
    """

    __tablename__ = "case_assignments"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "attempt"),
        sa.CheckConstraint("end_reason IS NULL OR " + _in(
            "end_reason", ("returned", "accept_timeout", "reassigned", "cancelled")), name="end_reason_known"),
        sa.Index("ix_case_assignments_assignee_assigned", "assignee_id", "assigned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(sa.String(32))
    rule: Mapped[str] = mapped_column(sa.String(32))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accept_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))


class CaseEvent(db.Model):
    """One entry of a case's timeline — 办理进度: who did what, when, from/to, note, photos.

    `text` is the sentence the resident reads; `data` holds staff-only detail (the routing decision,
    a return reason) and is never shown to residents.
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str | None] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    photo_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseFollower(TimestampMixin, db.Model):
    """A resident who has the same problem and follows the case ("我也遇到") instead of filing again."""

    __tablename__ = "case_followers"
    __table_args__ = (sa.UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


class CaseWorkerStatus(db.Model):
    """A staff member's availability for routing: missed accept deadlines in a row, and away since when.

    Three misses in a row mark the worker away; routing skips them until they accept a task or say
    they are back.
    """

    __tablename__ = "case_worker_status"
    __table_args__ = (sa.CheckConstraint("missed_in_a_row >= 0", name="misses_not_negative"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    missed_in_a_row: Mapped[int] = mapped_column(default=0)
    away_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
