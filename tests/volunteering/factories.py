"""Builders for volunteering tests: a community with a committee and verified residents, activities
whose shifts sit anywhere in time, sign-ups, tokens without a login round trip."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.accounts.models import Household, HouseholdMember, User
from backend.core.auth import issue_access_token, load_actor
from backend.core.db import utcnow
from backend.core.models import OutboxEntry
from backend.extensions import db
from backend.notifications.models import Notification
from backend.volunteering import signups
from backend.volunteering.models import (Activity, PointsEntry, Reward, Shift, ShiftSignup, TeamMember,
                                         VolunteerTeam)
from tests.factories import Geography, make_geography, make_household, make_user, make_verified_resident

PLACE = {"lat": 31.305, "lng": 120.605}  # inside grid 0 of make_geography()


@dataclass
class Community:
    """`make_geography()` with a committee member per community and a household in grid 0."""

    geo: Geography
    committee: list[User] = field(default_factory=list)
    household: Household | None = None

    @property
    def id(self) -> int:
        return self.geo.communities[0].id

    @property
    def other_id(self) -> int:
        return self.geo.communities[1].id


def make_community() -> Community:
    geo = make_geography()
    world = Community(geo=geo)
    world.committee = [make_user(f"committee-{n}", roles=(("committee", "community", c.id),))
                       for n, c in enumerate(geo.communities, start=1)]
    world.household = make_household(geo.grids[0])
    return world


def make_volunteer(world: Community, openid: str, nickname: str = "") -> User:
    """A verified resident of the community's household."""
    user = make_verified_resident(openid, world.household)
    if nickname:
        user.nickname = nickname
        db.session.commit()
    return user


def make_volunteers(world: Community, count: int, prefix: str = "v") -> list[int]:
    """Many verified residents at once (bulk inserts), returning their ids."""
    now = utcnow()
    rows = db.session.execute(sa.insert(User).returning(User.id),
                              [{"openid": f"{prefix}-{n}", "nickname": f"{prefix}{n}", "created_at": now,
                                "is_active": True} for n in range(count)]).scalars().all()
    db.session.execute(sa.insert(HouseholdMember), [{"household_id": world.household.id, "user_id": user_id,
                                                     "joined_at": now, "verified_at": now} for user_id in rows])
    db.session.commit()
    return list(rows)


def headers_for(user_id: int) -> dict:
    """An Authorization header for a user, signed directly (no login request)."""
    token, _ = issue_access_token(user_id, secrets.token_hex(8))
    return {"Authorization": f"Bearer {token}"}


def make_team(world: Community, name: str = "长桥志愿队", organisers: tuple[User, ...] = ()) -> VolunteerTeam:
    team = VolunteerTeam(community_id=world.id, name=name, kind="team")
    team.members = [TeamMember(user_id=u.id, is_organiser=True) for u in organisers]
    db.session.add(team)
    db.session.commit()
    return team


def make_activity(community_id: int, *, starts_in: timedelta = timedelta(days=2), hours: float = 2,
                  capacity: int = 5, waitlist: bool = True, shifts: int = 1, gap: timedelta = timedelta(hours=3),
                  status: str = "published", team_id: int | None = None, title: str = "社区清洁日",
                  place: dict | None = PLACE, signup_deadline: datetime | None = None,
                  cancel_cutoff: datetime | None = None) -> Activity:
    """An activity written straight to the database, so its shifts can sit in the past or start now."""
    now = utcnow()
    first = now + starts_in
    activity = Activity(community_id=community_id, team_id=team_id, title=title, description="打扫小区公共区域",
                        status=status, published_at=now if status == "published" else None,
                        starts_at=first, ends_at=first + (shifts - 1) * gap + timedelta(hours=hours))
    for n in range(shifts):
        start = first + n * gap
        activity.shifts.append(Shift(
            starts_at=start, ends_at=start + timedelta(hours=hours), capacity=capacity, confirmed=0,
            waitlist_enabled=waitlist, waitlist_seq=0, place="长桥新村广场", skills=["清洁"],
            lat=place["lat"] if place else None, lng=place["lng"] if place else None,
            signup_deadline=signup_deadline or start, cancel_cutoff=cancel_cutoff or start - timedelta(hours=24)))
    db.session.add(activity)
    db.session.commit()
    return activity


def sign_up(shift: Shift, *users: User, now: datetime | None = None) -> list[ShiftSignup]:
    """Sign people up through the service (so counters and tickets are what the API would make)."""
    return [signups.sign_up(load_actor(user.id), shift.id, now=now) for user in users]


def make_reward(world: Community, points: int = 20, stock: int = 10, name: str = "大米 5kg") -> Reward:
    reward = Reward(community_id=world.id, name=name, points=points, stock=stock, active=True)
    db.session.add(reward)
    db.session.commit()
    return reward


def give_points(user: User | int, amount: int, community_id: int | None = None) -> None:
    user_id = user if isinstance(user, int) else user.id
    db.session.add(PointsEntry(user_id=user_id, community_id=community_id, amount=amount, kind="bonus",
                               note="测试积分"))
    db.session.commit()


def notifications(user: User | int, kind: str | None = None) -> list[Notification]:
    user_id = user if isinstance(user, int) else user.id
    query = sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(query))


def fresh(obj):
    """The object reloaded from the database."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


REMINDER_JOB = "backend.volunteering.jobs:send_shift_reminder"


def reminder_entries() -> list[OutboxEntry]:
    """The reminder jobs planned so far, soonest first."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.job == REMINDER_JOB)
                                   .order_by(OutboxEntry.not_before, OutboxEntry.id)))


def make_due(entry: OutboxEntry) -> None:
    """Move the job's time to now, as if its delay had passed."""
    db.session.execute(sa.update(OutboxEntry).where(OutboxEntry.id == entry.id)
                       .values(not_before=utcnow() - timedelta(seconds=1)))
    db.session.commit()
