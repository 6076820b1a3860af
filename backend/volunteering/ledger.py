"""Hours, points and stars: two append-only ledgers and the awards they lead to.

Service hours (服务时长) are credited once per attendance (UNIQUE attendance_id); honour hours (荣誉时长)
are granted by hand with a reason and always reported apart. Points (积分) are rows too: earnings
(hours × the community's rate, bonuses, refunds) and spendings; the balance is their sum. Star levels
(星级) follow the credited service hours and are awarded once each (UNIQUE user, level).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.core.db import rows_by_id, utcnow
from backend.extensions import db
from backend.notifications.service import notify
from backend.volunteering.locking import lock_volunteer
from backend.volunteering.models import (Activity, Attendance, HoursEntry, PointsEntry, Shift, ShiftSignup,
                                         StarAward)
from backend.volunteering.service import get_community, get_user, settings_of

STAR_HOURS = (100, 300, 600, 1000, 1500)  # credited hours for one to five stars
ME_PAGE = "pages/volunteer/me/me"
HISTORY_LENGTH = 20


def hours(minutes: int | None) -> float:
    """Minutes as hours with one decimal, for display."""
    return round((minutes or 0) / 60, 1)


def clipped_minutes(checked_in_at: datetime, until: datetime, shift: Shift) -> int:
    """Whole minutes of [checked in, until] that fall inside the shift."""
    start, end = max(checked_in_at, shift.starts_at), min(until, shift.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def points_for(minutes: int, rate: int) -> int:
    """Hours × rate, rounded to the nearest whole point (half up)."""
    return (minutes * rate + 30) // 60


def credit_attendance(attendance: Attendance) -> HoursEntry:
    """Credit a just-closed attendance: its service hours, their points, and any star it reaches.

    The caller closed the attendance with a conditional UPDATE in this transaction, so only one closer
    gets here; the UNIQUE attendance_id and points dedupe key are the backstop.
    """
    shift = attendance.shift
    community_id = shift.activity.community_id
    lock_volunteer(attendance.user_id)  # the stars' sum below then counts every other credit of this person
    rate = settings_of(community_id).points_per_hour
    flags = []
    if attendance.checkout_missing:
        flags.append("未签退，按班次结束计")
    if attendance.checkin_method == "manual":
        flags.append("组织者代签到")
    entry = HoursEntry(user_id=attendance.user_id, community_id=community_id, kind="service",
                       minutes=attendance.minutes, attendance_id=attendance.id, reason="；".join(flags))
    db.session.add(entry)
    db.session.flush()
    points = points_for(attendance.minutes, rate)
    if points:
        db.session.add(PointsEntry(user_id=attendance.user_id, community_id=community_id, amount=points,
                                   kind="service", dedupe_key=f"service:{attendance.id}", hours_entry_id=entry.id,
                                   note=f"{hours(attendance.minutes)} 小时 × {rate} 积分/小时"))
    award_stars(attendance.user_id)
    return entry


def credited_minutes(user_id: int, kind: str = "service") -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.minutes), 0))
                             .where(HoursEntry.user_id == user_id, HoursEntry.kind == kind))


def star_level(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(StarAward.level), 0))
                             .where(StarAward.user_id == user_id))


def award_stars(user_id: int, now: datetime | None = None) -> list[int]:
    """Award every star level the person's credited hours reached and they do not hold yet."""
    total = credited_minutes(user_id)
    held = set(db.session.scalars(sa.select(StarAward.level).where(StarAward.user_id == user_id)))
    awarded = []
    for level, needed in enumerate(STAR_HOURS, start=1):
        if total < needed * 60 or level in held:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(StarAward(user_id=user_id, level=level, awarded_at=now or utcnow()))
        except IntegrityError:
            continue
        awarded.append(level)
        notify(user_id, "volunteer_star", f"恭喜您成为{level}星志愿者",
               f"累计志愿服务 {hours(total)} 小时，感谢您的付出！", dedupe_key=f"volunteer-star-{user_id}-{level}",
               link=ME_PAGE, subject=("volunteer_star", level),
               message={"title": f"{level}星志愿者", "status": "已获得", "hours": str(hours(total))})
    return awarded


def grant_honour_hours(user_id: int, community_id: int, minutes: int, reason: str, granted_by_id: int) -> HoursEntry:
    """Record honour hours (荣誉时长) granted by hand; they are shown apart and earn neither points nor stars."""
    get_user(user_id)
    get_community(community_id)
    entry = HoursEntry(user_id=user_id, community_id=community_id, kind="honour", minutes=minutes, reason=reason,
                       granted_by_id=granted_by_id)
    db.session.add(entry)
    db.session.commit()
    return entry


def grant_bonus_points(user_id: int, community_id: int, points: int, reason: str, granted_by_id: int) -> PointsEntry:
    """Add bonus points with a reason (an earning row like any other)."""
    get_user(user_id)
    get_community(community_id)
    entry = PointsEntry(user_id=user_id, community_id=community_id, amount=points, kind="bonus", note=reason,
                        created_by_id=granted_by_id)
    db.session.add(entry)
    db.session.commit()
    return entry


def balance(user_id: int) -> int:
    """The points balance: the sum of the person's ledger."""
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.amount), 0))
                             .where(PointsEntry.user_id == user_id))


def points_query(user_id: int):
    return sa.select(PointsEntry).where(PointsEntry.user_id == user_id).order_by(PointsEntry.id.desc())


def summary(user_id: int, now: datetime | None = None) -> dict:
    """What `GET /me/volunteering` shows: hours (credited and honour apart), points, stars, record, history."""
    now = now or utcnow()
    by_kind = dict(db.session.execute(sa.select(PointsEntry.kind, sa.func.sum(PointsEntry.amount))
                                      .where(PointsEntry.user_id == user_id).group_by(PointsEntry.kind)).all())
    credited, level = credited_minutes(user_id), star_level(user_id)
    next_star = None
    if level < len(STAR_HOURS):
        needed = STAR_HOURS[level]
        next_star = {"level": level + 1, "hours": needed, "hours_to_go": round(max(0, needed - credited / 60), 1)}
    return {
        "credited_hours": hours(credited),
        "honour_hours": hours(credited_minutes(user_id, "honour")),
        "points_balance": sum(by_kind.values()),
        "points_earned": by_kind.get("service", 0) + by_kind.get("bonus", 0),
        "points_spent": -by_kind.get("redemption", 0) - by_kind.get("refund", 0),
        "star_level": level,
        "next_star": next_star,
        "record": _record(user_id, now),
        "history": _history(user_id),
    }


def _record(user_id: int, now: datetime) -> dict:
    ended = sa.and_(Shift.ends_at <= now, Shift.cancelled_at.is_(None))
    base = (sa.select(sa.func.count(ShiftSignup.id)).join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(ShiftSignup.user_id == user_id))
    return {
        "upcoming": db.session.scalar(base.where(Shift.ends_at > now, ShiftSignup.status.in_(("confirmed", "waitlisted")))),
        "attended": db.session.scalar(sa.select(sa.func.count(Attendance.id)).where(Attendance.user_id == user_id)),
        "no_shows": db.session.scalar(base.outerjoin(Attendance, Attendance.signup_id == ShiftSignup.id)
                                      .where(ShiftSignup.status == "confirmed", ended, Attendance.id.is_(None))),
        "late_cancellations": db.session.scalar(base.where(ShiftSignup.cancel_kind == "late")),
    }


def _history(user_id: int) -> list[dict]:
    rows = db.session.execute(
        sa.select(HoursEntry, Attendance, Shift, Activity.title)
        .outerjoin(Attendance, Attendance.id == HoursEntry.attendance_id)
        .outerjoin(Shift, Shift.id == Attendance.shift_id)
        .outerjoin(Activity, Activity.id == Shift.activity_id)
        .where(HoursEntry.user_id == user_id).order_by(HoursEntry.id.desc()).limit(HISTORY_LENGTH)).all()
    return [{"kind": entry.kind, "hours": hours(entry.minutes), "reason": entry.reason,
             "activity_id": shift.activity_id if shift else None, "activity_title": title or "",
             "shift_starts_at": shift.starts_at if shift else None, "created_at": entry.created_at,
             "checkout_missing": bool(attendance and attendance.checkout_missing),
             "manual": bool(attendance and attendance.checkin_method == "manual")}
            for entry, attendance, shift, title in rows]


def leaderboard(community_id: int, by: str, viewer_id: int | None, limit: int = 50) -> dict:
    """The community's ranking by credited service hours or by points earned there (ties share a rank)."""
    get_community(community_id)
    hours_total = (sa.select(HoursEntry.user_id.label("user_id"), sa.func.sum(HoursEntry.minutes).label("value"))
                   .where(HoursEntry.community_id == community_id, HoursEntry.kind == "service")
                   .group_by(HoursEntry.user_id))
    points_total = (sa.select(PointsEntry.user_id.label("user_id"), sa.func.sum(PointsEntry.amount).label("value"))
                    .where(PointsEntry.community_id == community_id, PointsEntry.kind.in_(("service", "bonus")))
                    .group_by(PointsEntry.user_id))
    ranked = (hours_total if by == "hours" else points_total).subquery()
    top = db.session.execute(sa.select(ranked.c.user_id, ranked.c.value).where(ranked.c.value > 0)
                             .order_by(ranked.c.value.desc(), ranked.c.user_id).limit(limit)).all()
    user_ids = [row.user_id for row in top]
    if viewer_id is not None and viewer_id not in user_ids:
        user_ids.append(viewer_id)
    minutes_of = dict(db.session.execute(hours_total.where(HoursEntry.user_id.in_(user_ids))).all()) if user_ids else {}
    points_of = dict(db.session.execute(points_total.where(PointsEntry.user_id.in_(user_ids))).all()) if user_ids else {}
    people = rows_by_id(User, user_ids)

    def entry(user_id: int, rank: int | None) -> dict:
        user = people.get(user_id)
        return {"rank": rank, "user_id": user_id, "nickname": user.nickname if user else "",
                "avatar_url": user.avatar_url if user else "", "hours": hours(minutes_of.get(user_id)),
                "points": points_of.get(user_id, 0)}

    entries, rank, previous = [], 0, None
    for position, row in enumerate(top, start=1):
        if row.value != previous:
            rank, previous = position, row.value
        entries.append(entry(row.user_id, rank))
    me = None
    if viewer_id is not None:
        mine = db.session.scalar(sa.select(ranked.c.value).where(ranked.c.user_id == viewer_id))
        my_rank = None
        if mine:
            my_rank = 1 + db.session.scalar(sa.select(sa.func.count()).select_from(ranked).where(ranked.c.value > mine))
        me = entry(viewer_id, my_rank)
    return {"community_id": community_id, "by": by, "entries": entries, "me": me}
