"""Shape volunteering objects for responses; lists are built in a fixed number of queries."""
from __future__ import annotations

import base64
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from backend.accounts.service import mask_phone
from backend.core.db import utcnow
from backend.core.policies import Actor
from backend.extensions import db
from backend.volunteering import ledger
from backend.volunteering.checkins import CHECKIN_PAGE, CheckinCode, ScanResult
from backend.volunteering.models import (Activity, Attendance, HoursEntry, PointsEntry, Redemption, Shift, ShiftSignup,
                                         VolunteerTeam, VolunteeringSettings)
from backend.volunteering.policies import manages_activity
from backend.volunteering.signups import waitlist_lengths, waitlist_position


def shift_status(shift: Shift, now: datetime) -> str:
    if shift.cancelled_at is not None:
        return "cancelled"
    if now >= shift.ends_at:
        return "ended"
    if now >= shift.starts_at:
        return "started"
    if now >= shift.signup_deadline:
        return "closed"
    if shift.confirmed >= shift.capacity:
        return "waitlist" if shift.waitlist_enabled else "full"
    return "open"


def _positions(items) -> dict[int, int]:
    """Waitlist positions (1 = next) of the waitlisted among these sign-ups.

    One indexed count per waitlisted sign-up (a person waits on few shifts at once); ranking the
    whole waitlist instead would cost every request the length of the waitlist.
    """
    return {s.id: waitlist_position(s) for s in items if s.status == "waitlisted"}


def _activity_fields(activity: Activity, places_left: int) -> dict:
    return {"id": activity.id, "title": activity.title, "description": activity.description,
            "community_id": activity.community_id, "community_name": activity.community.name,
            "team_id": activity.team_id, "team_name": activity.team.name if activity.team else None,
            "status": activity.status, "starts_at": activity.starts_at, "ends_at": activity.ends_at,
            "shift_count": len(activity.shifts), "places_left": places_left,
            "published_at": activity.published_at, "cancelled_at": activity.cancelled_at,
            "cancel_reason": activity.cancel_reason, "created_at": activity.created_at}


def _places_left(shifts, now: datetime) -> int:
    return sum(max(0, s.capacity - s.confirmed) for s in shifts
               if s.cancelled_at is None and now < s.signup_deadline)


def activities(items: list[Activity], now: datetime | None = None) -> list[dict]:
    now = now or utcnow()
    return [_activity_fields(a, _places_left(a.shifts, now)) for a in items]


def activity_detail(activity: Activity, viewer: Actor, now: datetime | None = None) -> dict:
    """An activity with its shifts, places left, waitlist lengths and the viewer's own sign-ups."""
    now = now or utcnow()
    shifts = activity.shifts
    lengths = waitlist_lengths(s.id for s in shifts)
    mine = list(db.session.scalars(sa.select(ShiftSignup).where(
        ShiftSignup.user_id == viewer.user_id, ShiftSignup.shift_id.in_([s.id for s in shifts]),
        ShiftSignup.status != "cancelled")))
    positions = _positions(mine)
    by_shift = {s.shift_id: {"id": s.id, "status": s.status, "position": positions.get(s.id)} for s in mine}
    body = _activity_fields(activity, _places_left(shifts, now))
    body["shifts"] = [{
        "id": s.id, "activity_id": s.activity_id, "starts_at": s.starts_at, "ends_at": s.ends_at, "place": s.place,
        "lat": s.lat, "lng": s.lng, "capacity": s.capacity, "confirmed": s.confirmed,
        "places_left": max(0, s.capacity - s.confirmed), "waitlist": s.waitlist_enabled,
        "waitlist_length": lengths.get(s.id, 0), "skills": s.skills or [], "min_age": s.min_age,
        "signup_deadline": s.signup_deadline, "cancel_cutoff": s.cancel_cutoff, "status": shift_status(s, now),
        "my_signup": by_shift.get(s.id)} for s in shifts]
    body["can_manage"] = manages_activity(viewer, activity)
    return body


def _service_points(attendance_ids) -> dict[int, int]:
    keys = {f"service:{i}": i for i in attendance_ids}
    if not keys:
        return {}
    rows = db.session.execute(sa.select(PointsEntry.dedupe_key, PointsEntry.amount)
                              .where(PointsEntry.dedupe_key.in_(list(keys))))
    return {keys[key]: amount for key, amount in rows}


def attendance(a: Attendance | None, points: dict[int, int] | None = None) -> dict | None:
    if a is None:
        return None
    if points is None:
        points = _service_points([a.id])
    return {"id": a.id, "signup_id": a.signup_id, "shift_id": a.shift_id, "checked_in_at": a.checked_in_at,
            "checkin_method": a.checkin_method, "checked_out_at": a.checked_out_at,
            "checkout_method": a.checkout_method, "checkout_missing": a.checkout_missing, "closed_at": a.closed_at,
            "hours": ledger.hours(a.minutes) if a.minutes is not None else None,
            "points": points.get(a.id, 0 if a.closed_at else None)}


def signups(items: list[ShiftSignup]) -> list[dict]:
    """Sign-ups with their shift, activity, waitlist position and attendance (a few queries for any number)."""
    if items:  # one query loads (or reloads, after a commit) the sign-ups with their people, shifts, activities
        ids = [sa.inspect(s).identity[0] for s in items]  # the key, without refreshing an expired object
        loaded = {s.id: s for s in db.session.scalars(
            sa.select(ShiftSignup).where(ShiftSignup.id.in_(ids))
            .options(joinedload(ShiftSignup.shift).joinedload(Shift.activity), joinedload(ShiftSignup.user))
            .execution_options(populate_existing=True))}
        items = [loaded[i] for i in ids]
    positions = _positions(items)
    placed = [s.id for s in items if s.status != "waitlisted"]  # nobody attends from the waitlist
    attendances = {a.signup_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.signup_id.in_(placed)))} if placed else {}
    points = _service_points([a.id for a in attendances.values()])
    return [_signup_fields(s, positions.get(s.id), attendances.get(s.id), points) for s in items]


def signup(item: ShiftSignup) -> dict:
    return signups([item])[0]


def _signup_fields(s: ShiftSignup, position: int | None, attended: Attendance | None, points: dict[int, int]) -> dict:
    shift = s.shift
    return {"id": s.id, "shift_id": s.shift_id, "activity_id": shift.activity_id,
            "activity_title": shift.activity.title, "starts_at": shift.starts_at, "ends_at": shift.ends_at,
            "place": shift.place, "status": s.status, "position": position, "cancel_kind": s.cancel_kind,
            "created_at": s.created_at, "confirmed_at": s.confirmed_at, "promoted_at": s.promoted_at,
            "cancelled_at": s.cancelled_at, "attendance": attendance(attended, points)}


def roster(items: list[ShiftSignup], now: datetime | None = None) -> list[dict]:
    """The organiser's attendance list: who, their status, check-in and check-out, no-shows."""
    now = now or utcnow()
    rows = signups(items)
    for row, s in zip(rows, items):
        user = s.user  # loaded by signups()
        row["volunteer"] = {"user_id": user.id, "nickname": user.nickname, "real_name": user.real_name,
                            "phone": mask_phone(user.phone)}
        row["no_show"] = s.status == "confirmed" and row["attendance"] is None and now >= s.shift.ends_at
    return rows


def checkin_result(result: ScanResult) -> dict:
    a = result.attendance
    return {"action": result.action, "activity_id": a.shift.activity_id, "activity_title": a.shift.activity.title,
            "shift_id": a.shift_id, "attendance": attendance(a)}


def checkin_code(code: CheckinCode) -> dict:
    image = f"data:image/png;base64,{base64.b64encode(code.image).decode()}" if code.image else None
    return {"shift_id": code.shift_id, "code": code.code, "rotates_at": code.rotates_at,
            "expires_at": code.expires_at, "page": CHECKIN_PAGE, "image": image}


def team(t: VolunteerTeam) -> dict:
    return {"id": t.id, "community_id": t.community_id, "name": t.name, "kind": t.kind, "description": t.description,
            "created_at": t.created_at,
            "members": [{"user_id": m.user_id, "nickname": m.user.nickname, "is_organiser": m.is_organiser,
                         "joined_at": m.joined_at} for m in t.members]}


def settings(s: VolunteeringSettings, keepers) -> dict:
    return {"community_id": s.community_id, "points_per_hour": s.points_per_hour,
            "checkin_radius_m": s.checkin_radius_m,
            "shop_keepers": [{"user_id": k.user_id, "nickname": k.user.nickname} for k in keepers]}


def hours_entry(entry: HoursEntry) -> dict:
    return {"id": entry.id, "user_id": entry.user_id, "community_id": entry.community_id, "kind": entry.kind,
            "hours": ledger.hours(entry.minutes), "reason": entry.reason, "created_at": entry.created_at}


def redemptions(items: list[Redemption], for_owner: bool) -> list[dict]:
    """Redemptions; the pickup code is whole only for the volunteer, who shows it at the counter."""
    from backend.accounts.models import User

    names = dict(db.session.execute(sa.select(User.id, User.nickname)
                                    .where(User.id.in_({r.user_id for r in items}))).all()) if items else {}
    return [{"id": r.id, "reward_id": r.reward_id, "reward_name": r.reward.name, "community_id": r.community_id,
             "user_id": r.user_id, "nickname": names.get(r.user_id, ""), "points": r.points,
             "pickup_code": r.pickup_code if for_owner else "******" + r.pickup_code[-2:], "status": r.status,
             "created_at": r.created_at, "collected_at": r.collected_at, "cancelled_at": r.cancelled_at}
            for r in items]


def redemption(item: Redemption, for_owner: bool = True) -> dict:
    return redemptions([item], for_owner)[0]
