"""Volunteering data for the mini-program's end-to-end tests against the live app:

    python -m backend.testserver --seed tests.volunteering.e2e_seed:seed

In the test server's community it adds (dev login `dev:<openid>` for each person):

- `e2e-organiser`, on the committee: runs every activity and keeps the 爱心超市;
- `e2e-volunteer` (100 bonus points), `e2e-volunteer-2`, and `e2e-veteran` (老志愿者), all verified;
- shifts: `soon` (垃圾分类宣传, starts in 30 minutes, check-in open, 5 places), `running` (started 70
  minutes ago, the veteran checked in 65 minutes ago), `later` (in two days, 1 place and a waitlist),
  `full` (in three days, 1 place, no waitlist), `aged` (in four days, 18 and over); none of them overlap;
- rewards: 大米 5kg for 30 points (5 in stock) and an item for 500 points.

It also lets a volunteer scan in and out straight away, which the 60-second rule would refuse.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import Household, HouseholdMember, RoleAssignment, User
from backend.core.db import utcnow
from backend.extensions import db
from backend.grids.models import Community, Grid
from backend.volunteering.models import Activity, Attendance, PointsEntry, Reward, Shift, ShiftSignup

PLACE = {"lat": 31.305, "lng": 120.605}  # the middle of the test server's grid


def _shift(community_id: int, title: str, starts_in: timedelta, hours: float, capacity: int,
           waitlist: bool = True) -> Shift:
    now = utcnow()
    start = now + starts_in
    shift = Shift(starts_at=start, ends_at=start + timedelta(hours=hours), capacity=capacity, confirmed=0,
                  waitlist_enabled=waitlist, waitlist_seq=0, place="长桥新村广场", skills=[], **PLACE,
                  signup_deadline=start if start > now else start + timedelta(hours=hours),  # running: until its end
                  cancel_cutoff=start - timedelta(hours=24))
    db.session.add(Activity(community_id=community_id, title=title, description="端到端测试活动", status="published",
                            published_at=now, starts_at=start, ends_at=shift.ends_at, shifts=[shift]))
    db.session.flush()
    return shift


def _volunteer(openid: str, nickname: str, household_id: int) -> User:
    user = User(openid=openid, nickname=nickname)
    db.session.add(user)
    db.session.flush()
    db.session.add(HouseholdMember(household_id=household_id, user_id=user.id, joined_at=utcnow(), verified_at=utcnow()))
    return user


def seed() -> dict:
    now = utcnow()
    community = db.session.scalar(sa.select(Community).order_by(Community.id))
    grid = db.session.scalar(sa.select(Grid).where(Grid.community_id == community.id).order_by(Grid.id))
    household = Household(grid_id=grid.id, address="长桥新村 2 幢 201")
    organiser = User(openid="e2e-organiser", nickname="组织者")
    db.session.add_all([household, organiser])
    db.session.flush()
    db.session.add(RoleAssignment(user_id=organiser.id, role="committee", scope_type="community",
                                  scope_id=community.id))
    volunteer = _volunteer("e2e-volunteer", "志愿者", household.id)
    _volunteer("e2e-volunteer-2", "志愿者二", household.id)
    veteran = _volunteer("e2e-veteran", "老志愿者", household.id)
    db.session.add(PointsEntry(user_id=volunteer.id, community_id=community.id, amount=100, kind="bonus",
                               note="端到端测试积分"))

    soon = _shift(community.id, "垃圾分类宣传", timedelta(minutes=30), 1, 5)
    running = _shift(community.id, "社区清洁日", timedelta(minutes=-70), 3, 5)
    later = _shift(community.id, "敬老院探访", timedelta(days=2), 2, 1)
    full = _shift(community.id, "义务理发", timedelta(days=3), 2, 1, waitlist=False)
    aged = _shift(community.id, "夜间巡逻", timedelta(days=4), 2, 5)
    aged.min_age = 18
    # The veteran holds a place on the running shift and checked in 65 minutes ago.
    running.confirmed = 1
    signup = ShiftSignup(shift_id=running.id, user_id=veteran.id, status="confirmed", confirmed_at=now - timedelta(days=1),
                         day_reminder_at=now, hour_reminder_at=now)
    db.session.add(signup)
    db.session.flush()
    db.session.add(Attendance(signup_id=signup.id, shift_id=running.id, user_id=veteran.id, checkin_method="scan",
                              checked_in_at=now - timedelta(minutes=65)))
    rice = Reward(community_id=community.id, name="大米 5kg", points=30, stock=5, active=True)
    expensive = Reward(community_id=community.id, name="电饭煲", points=500, stock=2, active=True)
    db.session.add_all([rice, expensive])
    db.session.commit()
    current_app.config["VOLUNTEERING_MIN_STAY_SECONDS"] = 0
    return {"volunteering": {
        "community_id": community.id, "place": PLACE, "organiser_openid": "e2e-organiser",
        "volunteer_openid": "e2e-volunteer", "volunteer_2_openid": "e2e-volunteer-2", "veteran_openid": "e2e-veteran",
        "soon_shift_id": soon.id, "soon_activity_id": soon.activity_id,
        "running_shift_id": running.id, "running_activity_id": running.activity_id,
        "later_shift_id": later.id, "later_activity_id": later.activity_id,
        "full_shift_id": full.id, "full_activity_id": full.activity_id,
        "aged_shift_id": aged.id, "aged_activity_id": aged.activity_id,
        "reward_id": rice.id, "expensive_reward_id": expensive.id}}
