"""Volunteering rules for teams, community settings, shop keepers, activities and shifts.

Sign-ups live in `signups`, check-in in `checkins`, hours and points in `ledger`, the 爱心超市 in
`rewards`. Every state change goes through one of these modules, never through a route.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from backend.accounts.models import User
from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, InvalidTransition, NotFound, Unprocessable
from backend.core.jobs import enqueue
from backend.core.policies import Actor
from backend.extensions import db
from backend.grids.models import Community, Street
from backend.volunteering import jobs
from backend.volunteering.locking import is_postgresql, lock_row
from backend.volunteering.models import (Activity, ShiftSignup, Shift, ShopKeeper, TeamMember, VolunteerTeam,
                                         VolunteeringSettings)
from backend.volunteering.policies import manages_activity, organised_team_ids

MAX_SHIFT_LENGTH = timedelta(hours=24)
MAX_LEAD = timedelta(days=366)          # how far ahead a shift may be scheduled
DEFAULT_CANCEL_NOTICE = timedelta(hours=24)  # the default cancellation cutoff, before the start
DEFAULT_POINTS_PER_HOUR = 10
DEFAULT_CHECKIN_RADIUS_M = 500
CHECKIN_OPENS_BEFORE = timedelta(minutes=60)  # check-in opens this long before a shift starts
ANNOUNCED = ("starts_at", "ends_at", "place")  # a change of these is a new revision, told to everyone signed up


# --- communities, settings, shop keepers --------------------------------------------------------

def get_community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound("社区不存在", reason="community_not_found")
    return community


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("用户不存在", reason="user_not_found")
    return user


def settings_of(community_id: int) -> VolunteeringSettings:
    """The community's settings, or the defaults when it never set any (not added to the session)."""
    found = db.session.get(VolunteeringSettings, community_id)
    return found or VolunteeringSettings(community_id=community_id, points_per_hour=DEFAULT_POINTS_PER_HOUR,
                                         checkin_radius_m=DEFAULT_CHECKIN_RADIUS_M, updated_at=None)


def update_settings(community_id: int, changes: dict) -> VolunteeringSettings:
    """Set the points rate and/or check-in distance of a community. An upsert that writes only the
    fields given, so two committee members changing different fields at once both keep theirs."""
    get_community(community_id)
    now = utcnow()
    values = {"community_id": community_id, "points_per_hour": DEFAULT_POINTS_PER_HOUR,
              "checkin_radius_m": DEFAULT_CHECKIN_RADIUS_M, "updated_at": now, **changes}
    insert = (pg_insert if is_postgresql() else sqlite_insert)(VolunteeringSettings).values(**values)
    db.session.execute(insert.on_conflict_do_update(index_elements=["community_id"],
                                                    set_={**changes, "updated_at": now}))
    db.session.commit()
    return db.session.get(VolunteeringSettings, community_id, populate_existing=True)


def shop_keepers(community_id: int) -> list[ShopKeeper]:
    return list(db.session.scalars(sa.select(ShopKeeper).where(ShopKeeper.community_id == community_id)
                                   .order_by(ShopKeeper.id)))


def add_shop_keeper(community_id: int, user_id: int) -> ShopKeeper:
    """Make someone a keeper of the community's 爱心超市; adding them twice is harmless."""
    get_community(community_id)
    get_user(user_id)
    keeper = ShopKeeper(community_id=community_id, user_id=user_id)
    try:
        with db.session.begin_nested():
            db.session.add(keeper)
    except IntegrityError:
        keeper = db.session.scalar(sa.select(ShopKeeper).where(ShopKeeper.community_id == community_id,
                                                               ShopKeeper.user_id == user_id))
    db.session.commit()
    return keeper


def remove_shop_keeper(community_id: int, user_id: int) -> None:
    removed = db.session.execute(sa.delete(ShopKeeper).where(ShopKeeper.community_id == community_id,
                                                             ShopKeeper.user_id == user_id)).rowcount
    if not removed:
        raise NotFound("该用户不是本社区爱心超市的管理员", reason="keeper_not_found")
    db.session.commit()


# --- teams --------------------------------------------------------------------------------------

def get_team(team_id: int) -> VolunteerTeam:
    team = db.session.get(VolunteerTeam, team_id)
    if team is None:
        raise NotFound("志愿队不存在", reason="team_not_found")
    return team


def teams_query(community_id: int | None):
    query = sa.select(VolunteerTeam).order_by(VolunteerTeam.community_id, VolunteerTeam.name)
    if community_id is not None:
        query = query.where(VolunteerTeam.community_id == community_id)
    return query


def create_team(community_id: int, name: str, kind: str, description: str, created_by_id: int,
                organiser_ids: list[int]) -> VolunteerTeam:
    """Register a volunteer team or social organisation, with its first organisers."""
    get_community(community_id)
    for user_id in organiser_ids:
        get_user(user_id)
    team = VolunteerTeam(community_id=community_id, name=name, kind=kind, description=description,
                         created_by_id=created_by_id)
    team.members = [TeamMember(user_id=user_id, is_organiser=True) for user_id in dict.fromkeys(organiser_ids)]
    db.session.add(team)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("本社区已有同名的志愿队", reason="team_name_taken") from None
    return team


def set_team_member(team_id: int, user_id: int, is_organiser: bool) -> TeamMember:
    """Add someone to a team, or change whether they organise it."""
    get_team(team_id)
    get_user(user_id)
    values = {"team_id": team_id, "user_id": user_id, "is_organiser": is_organiser, "joined_at": utcnow()}
    insert = (pg_insert if is_postgresql() else sqlite_insert)(TeamMember).values(**values)
    db.session.execute(insert.on_conflict_do_update(index_elements=["team_id", "user_id"],
                                                    set_={"is_organiser": is_organiser}))
    db.session.commit()
    return db.session.scalar(sa.select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
                             .execution_options(populate_existing=True))


def remove_team_member(team_id: int, user_id: int) -> None:
    removed = db.session.execute(sa.delete(TeamMember).where(TeamMember.team_id == team_id,
                                                             TeamMember.user_id == user_id)).rowcount
    if not removed:
        raise NotFound("该用户不在此志愿队中", reason="member_not_found")
    db.session.commit()


# --- activities and shifts ----------------------------------------------------------------------

@dataclass
class ShiftPlan:
    """A shift as asked for, checked before anything is written."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    waitlist: bool = True
    place: str = ""
    lat: float | None = None
    lng: float | None = None
    skills: tuple[str, ...] = ()
    min_age: int | None = None
    signup_deadline: datetime | None = None
    cancel_cutoff: datetime | None = None


def _time_problem(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[str, str] | None:
    """What is wrong with a shift's start and end, as (field, message); None when nothing is."""
    if ends_at <= starts_at:
        return "ends_at", "结束时间必须晚于开始时间"
    if ends_at - starts_at > MAX_SHIFT_LENGTH:
        return "ends_at", "单个班次不能超过 24 小时，请拆成多个班次"
    if starts_at <= now:
        return "starts_at", "开始时间必须在未来"
    if starts_at > now + MAX_LEAD:
        return "starts_at", "只能安排一年以内的班次"
    return None


def _invalid_shift(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, reason="invalid_shift", errors={"json": {field: [message]}})


def _checked_plan(plan: ShiftPlan, index: int, now: datetime) -> ShiftPlan:
    def refuse(field: str, message: str):
        raise Unprocessable(message, reason="invalid_shift", errors={"json": {"shifts": {str(index): {field: [message]}}}})

    problem = _time_problem(plan.starts_at, plan.ends_at, now)
    if problem:
        refuse(*problem)
    if (plan.lat is None) != (plan.lng is None):
        refuse("lat", "经纬度需要同时提供")
    deadline = plan.signup_deadline or plan.starts_at
    if deadline > plan.starts_at:
        refuse("signup_deadline", "报名截止时间不能晚于开始时间")
    cutoff = plan.cancel_cutoff or max(now, plan.starts_at - DEFAULT_CANCEL_NOTICE)
    if cutoff > plan.starts_at:
        refuse("cancel_cutoff", "取消截止时间不能晚于开始时间")
    plan.signup_deadline, plan.cancel_cutoff = deadline, cutoff
    return plan


def _new_shift(plan: ShiftPlan) -> Shift:
    return Shift(starts_at=plan.starts_at, ends_at=plan.ends_at, capacity=plan.capacity, confirmed=0,
                 waitlist_enabled=plan.waitlist, waitlist_seq=0, place=plan.place, lat=plan.lat, lng=plan.lng,
                 skills=list(plan.skills), min_age=plan.min_age, signup_deadline=plan.signup_deadline,
                 cancel_cutoff=plan.cancel_cutoff)


def create_activity(community_id: int, title: str, description: str, plans: list[ShiftPlan], created_by_id: int,
                    team_id: int | None = None, publish: bool = True, now: datetime | None = None) -> Activity:
    """Create an activity with its shifts, published (open for sign-up) unless `publish` is false."""
    now = now or utcnow()
    get_community(community_id)
    if team_id is not None and get_team(team_id).community_id != community_id:
        raise Unprocessable("志愿队不属于该社区", reason="team_not_in_community")
    plans = [_checked_plan(plan, i, now) for i, plan in enumerate(plans)]
    activity = Activity(community_id=community_id, team_id=team_id, title=title, description=description,
                        status="published" if publish else "draft", published_at=now if publish else None,
                        starts_at=min(p.starts_at for p in plans), ends_at=max(p.ends_at for p in plans),
                        created_by_id=created_by_id)
    activity.shifts = [_new_shift(plan) for plan in plans]
    db.session.add(activity)
    db.session.commit()
    return activity


def get_activity(activity_id: int, viewer: Actor | None = None) -> Activity:
    """An activity; a draft is visible only to those who manage it."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or (activity.status == "draft" and not manages_activity(viewer, activity)):
        raise NotFound("活动不存在", reason="activity_not_found")
    return activity


def get_shift(shift_id: int) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("班次不存在", reason="shift_not_found")
    return shift


def _open_activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound("活动不存在", reason="activity_not_found")
    if activity.status == "cancelled":
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    return activity


def update_activity(activity_id: int, changes: dict) -> Activity:
    """Change an activity's title or description."""
    activity = _open_activity(activity_id)
    for field in ("title", "description"):
        if field in changes:
            setattr(activity, field, changes[field])
    db.session.commit()
    return activity


def publish_activity(activity_id: int, now: datetime | None = None) -> Activity:
    """Open a draft for sign-up; publishing a published activity changes nothing."""
    _open_activity(activity_id)
    db.session.execute(sa.update(Activity).where(Activity.id == activity_id, Activity.status == "draft")
                       .values(status="published", published_at=now or utcnow()))
    db.session.commit()
    return db.session.get(Activity, activity_id, populate_existing=True)


def add_shift(activity_id: int, plan: ShiftPlan, now: datetime | None = None) -> Shift:
    """Add a shift to an activity; the activity's span follows its shifts."""
    now = now or utcnow()
    _open_activity(activity_id)
    plan = _checked_plan(plan, 0, now)
    activity = lock_row(Activity, activity_id)  # two organisers adding shifts at once both count in the span
    shift = _new_shift(plan)
    shift.activity_id = activity.id
    db.session.add(shift)
    activity.starts_at = min(activity.starts_at, plan.starts_at)
    activity.ends_at = max(activity.ends_at, plan.ends_at)
    db.session.commit()
    return shift


def update_shift(shift_id: int, changes: dict, now: datetime | None = None) -> Shift:
    """Change a shift until it starts: its time, place, limits or capacity.

    A new time or place is a new revision: everyone signed up (confirmed or waiting) is told, and the
    reminders follow the new time. Nobody's sign-up is re-checked for overlaps or cancelled by it.
    Capacity may grow (the waitlist moves up at once) but never shrink below the confirmed sign-ups.
    Signup deadline and cancellation cutoff keep their distance to a moved start unless given.
    """
    from backend.volunteering import signups

    now = now or utcnow()
    activity_id = get_shift(shift_id).activity_id
    if ("lat" in changes) != ("lng" in changes) or (changes.get("lat") is None) != (changes.get("lng") is None):
        raise _invalid_shift("lat", "经纬度需要同时提供")
    lock_row(Activity, activity_id)  # the activity's span follows its shifts; locks go activity → shift
    shift = lock_row(Shift, shift_id)
    try:
        values = _edited_values(shift, changes, now)
    except DomainError:
        db.session.rollback()
        raise
    if "capacity" in changes:
        resized = db.session.execute(sa.update(Shift).where(Shift.id == shift_id,
                                                            Shift.confirmed <= changes["capacity"])
                                     .values(capacity=changes["capacity"])).rowcount
        if not resized:
            db.session.rollback()
            raise Conflict("名额不能少于已确认报名的人数", reason="capacity_below_confirmed")
    announced = _announced(shift, values)
    if announced:
        values["revision"] = shift.revision + 1
    if values:
        db.session.execute(sa.update(Shift).where(Shift.id == shift_id).values(**values))
    shift = db.session.get(Shift, shift_id, populate_existing=True)
    if announced:
        first, last = db.session.execute(sa.select(sa.func.min(Shift.starts_at), sa.func.max(Shift.ends_at))
                                         .where(Shift.activity_id == activity_id)).one()
        db.session.execute(sa.update(Activity).where(Activity.id == activity_id).values(starts_at=first, ends_at=last))
        signups.reschedule_reminders(shift, now)
        enqueue(jobs.notify_shift_changed, shift_id, shift.revision)
    signups.fill_free_places(shift, now)
    db.session.commit()
    return shift


def _announced(shift: Shift, values: dict) -> bool:
    """Whether an edit changes the shift's time or place: a new revision, told to everyone signed up."""
    return any(field in values and values[field] != getattr(shift, field) for field in ANNOUNCED)


def _edited_values(shift: Shift, changes: dict, now: datetime) -> dict:
    """The columns an edit writes, checked against the shift as it is under its lock."""
    if shift.cancelled_at is not None:
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    if now >= shift.starts_at:
        raise InvalidTransition("班次已开始，不能再修改", reason="invalid_transition")
    columns = ("starts_at", "ends_at", "place", "lat", "lng", "skills", "min_age", "signup_deadline", "cancel_cutoff")
    values = {field: changes[field] for field in columns if field in changes}
    if "waitlist" in changes:
        values["waitlist_enabled"] = changes["waitlist"]
    if now >= shift.starts_at - CHECKIN_OPENS_BEFORE and _announced(shift, values):
        # Volunteers may be checked in already: moving the shift under them would misplace their hours.
        raise InvalidTransition("签到已开始，不能再修改时间和地点", reason="invalid_transition")
    starts_at, ends_at = values.get("starts_at", shift.starts_at), values.get("ends_at", shift.ends_at)
    if (starts_at, ends_at) != (shift.starts_at, shift.ends_at):
        problem = _time_problem(starts_at, ends_at, now)
        if problem:
            raise _invalid_shift(*problem)
        moved = starts_at - shift.starts_at
        values.setdefault("signup_deadline", shift.signup_deadline + moved)
        values.setdefault("cancel_cutoff", shift.cancel_cutoff + moved)
    for field, label in (("signup_deadline", "报名截止时间"), ("cancel_cutoff", "取消截止时间")):
        if field in values and values[field] > starts_at:
            raise _invalid_shift(field, f"{label}不能晚于开始时间")
    return values


def cancel_activity(activity_id: int, reason: str, now: datetime | None = None) -> Activity:
    """Cancel an activity: its shifts close, every live sign-up is cancelled, and everyone is told."""
    now = now or utcnow()
    if db.session.get(Activity, activity_id) is None:
        raise NotFound("活动不存在", reason="activity_not_found")
    cancelled = db.session.execute(
        sa.update(Activity).where(Activity.id == activity_id, Activity.status != "cancelled")
        .values(status="cancelled", cancelled_at=now, cancel_reason=reason)).rowcount
    if not cancelled:
        db.session.rollback()
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    # Shifts first: a sign-up racing this one waits on the shift row and then finds it cancelled.
    shift_ids = sa.select(Shift.id).where(Shift.activity_id == activity_id).scalar_subquery()
    db.session.execute(sa.update(Shift).where(Shift.activity_id == activity_id)
                       .values(cancelled_at=now, confirmed=0))
    db.session.execute(sa.update(ShiftSignup).where(ShiftSignup.shift_id.in_(shift_ids),
                                                    ShiftSignup.status != "cancelled")
                       .values(status="cancelled", cancelled_at=now, cancel_kind="activity_cancelled"))
    enqueue(jobs.notify_activity_cancelled, activity_id)
    db.session.commit()
    return db.session.get(Activity, activity_id, populate_existing=True)


# --- reading --------------------------------------------------------------------------------------

def managed_communities(actor: Actor):
    """A subquery of the community ids the actor manages (committee, street or district admin)."""
    return (sa.select(Community.id).join(Street, Street.id == Community.street_id)
            .where(sa.or_(Community.id.in_(actor.scopes("committee") or [-1]),
                          Street.id.in_(actor.scopes("street_admin") or [-1]),
                          Street.district_id.in_(actor.scopes("district_admin") or [-1]))))


def activities_query(actor: Actor, community_id: int | None = None, when: str = "upcoming",
                     managed: bool = False, status: str | None = None, now: datetime | None = None):
    """Activities for a list: published ones for everyone; with `managed`, the ones the actor runs
    (drafts and cancelled included)."""
    now = now or utcnow()
    query = sa.select(Activity).options(selectinload(Activity.shifts), joinedload(Activity.community),
                                        joinedload(Activity.team))
    if managed:
        query = query.where(sa.or_(Activity.community_id.in_(managed_communities(actor)),
                                   Activity.team_id.in_(organised_team_ids(actor) or [-1])))
        if status is not None:
            query = query.where(Activity.status == status)
    else:
        query = query.where(Activity.status == (status if status in ("published", "cancelled") else "published"))
    if community_id is not None:
        query = query.where(Activity.community_id == community_id)
    if when == "upcoming":
        return query.where(Activity.ends_at > now).order_by(Activity.starts_at, Activity.id)
    if when == "past":
        query = query.where(Activity.ends_at <= now)
    return query.order_by(Activity.starts_at.desc(), Activity.id.desc())
