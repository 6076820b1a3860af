"""Builders for deliberation tests: a district with a committee, residents, topics in any phase."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from backend.accounts.models import Household, HouseholdMember, User
from backend.core import jobs
from backend.core.auth import issue_access_token, load_actor
from backend.core.db import utcnow
from backend.deliberations import ballots, service
from backend.deliberations.models import Ballot, Poll, Topic, Voter
from backend.extensions import db
from backend.grids.models import Grid
from tests.factories import Geography, make_geography, make_household, make_user

YES_NO = {"type": "yes_no_abstain", "options": [], "max_choices": 1, "per": "person", "quorum_percent": 0,
          "pass_rule": "majority_cast", "hide_counts_until_close": False}


def ballot_spec(**overrides) -> dict:
    """A ballot as the API takes it (after schema defaults)."""
    spec = dict(YES_NO)
    spec.update(overrides)
    if spec["type"] == "multiple" and "max_choices" not in overrides:
        spec["max_choices"] = len(spec["options"])
    return spec


@dataclass
class World:
    geo: Geography
    committee: User          # committee of community 0 (grids 0 and 1)
    other_committee: User    # committee of community 1 (grids 2 and 3)

    @property
    def community(self):
        return self.geo.communities[0]

    def grid(self, index: int = 0) -> Grid:
        return self.geo.grids[index]


def make_world() -> World:
    geo = make_geography()
    committee = make_user("committee", nickname="居委会王主任", roles=(("committee", "community", geo.communities[0].id),))
    other = make_user("other-committee", roles=(("committee", "community", geo.communities[1].id),))
    return World(geo, committee, other)


def headers(user: User) -> dict:
    """An Authorization header for a user, without a login round trip."""
    token, _ = issue_access_token(user.id, "test-family")
    return {"Authorization": f"Bearer {token}"}


def actor(user: User):
    return load_actor(user.id)


def resident(openid: str, grid: Grid, *, building: str = "", household: Household | None = None,
             verified: bool = True) -> User:
    """A resident in their own household (or the given one) in `grid`, verified unless told otherwise."""
    user = make_user(openid)
    household = household or make_household(grid, f"{openid} 的家")
    if building and not household.building:
        household.building = building
    now = utcnow()
    db.session.add(HouseholdMember(household_id=household.id, user_id=user.id, joined_at=now,
                                   verified_at=now if verified else None))
    db.session.commit()
    return user


def residents(n: int, grid: Grid, prefix: str = "r") -> list[User]:
    """`n` verified residents, each in a household of their own, inserted in bulk."""
    now = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.insert(User), [{"openid": f"{prefix}{i}", "nickname": f"{prefix}{i}", "created_at": now}
                                         for i in range(n)])
    users = list(db.session.scalars(sa.select(User).where(User.openid.in_([f"{prefix}{i}" for i in range(n)]))
                                    .order_by(User.id)))
    db.session.execute(sa.insert(Household), [{"grid_id": grid.id, "address": f"{u.openid} 的家", "building": "",
                                               "created_at": now} for u in users])
    homes = list(db.session.scalars(sa.select(Household.id).where(Household.address.in_(
        [f"{u.openid} 的家" for u in users])).order_by(Household.id)))
    db.session.execute(sa.insert(HouseholdMember), [{"household_id": h, "user_id": u.id, "joined_at": now,
                                                     "verified_at": now} for u, h in zip(users, homes)])
    db.session.commit()
    return users


def make_topic(world: World, *, phase: str = "discussion", proposer: User | None = None, ballot: dict | None = None,
               title: str = "在 3 幢旁新建非机动车棚", origin: str | None = None) -> Topic:
    """A topic of community 0, created through the service and moved to `phase` the way the API would."""
    data = {"title": title, "body": "车棚选址在 3 幢与 4 幢之间的空地，请大家讨论。", "community_id": world.community.id,
            "grid_ids": [], "buildings": [], "photo_ids": [], "ballot": ballot}
    author = proposer or world.committee
    topic = service.create_topic(actor(author), data)
    if phase == "pending_review":
        assert topic.phase == "pending_review"
        return topic
    if topic.phase == "pending_review":
        service.approve(topic.id, actor(world.committee))
    if phase == "rejected":
        raise ValueError("create a pending_review topic and reject it")
    if phase in ("voting", "closed"):
        open_vote(world, topic, ballot)
    if phase == "closed":
        pass_closing_time(topic)
        ballots.close_voting(topic.id)
        db.session.commit()
    if phase == "withdrawn":
        service.withdraw(topic.id, actor(world.committee))
    db.session.refresh(topic)
    assert topic.phase == phase, topic.phase
    return topic


def open_vote(world: World, topic: Topic, spec: dict | None = None, closes_in: timedelta = timedelta(days=3)):
    """Open voting now and run the jobs it queued (telling the voters), as the end of an API request would."""
    opened = ballots.open_voting(topic.id, actor(world.committee), utcnow() + closes_in, ballot=spec or YES_NO)
    jobs.drain()
    return opened


def pass_closing_time(topic: Topic, by: timedelta = timedelta(seconds=1)) -> None:
    """Move the vote into the past: it opened two days ago and closed `by` ago (no job runs)."""
    now = utcnow()
    db.session.execute(sa.update(Poll).where(Poll.topic_id == topic.id)
                       .values(opens_at=now - timedelta(days=2), closes_at=now - by))
    db.session.commit()


def options(topic: Topic) -> list[int]:
    db.session.expire_all()
    return [o.id for o in db.session.get(Topic, topic.id).poll.options]


def cast(client, user: User, topic: Topic, option_ids: list[int]):
    return client.post(f"/api/v1/topics/{topic.id}/ballots", json={"option_ids": option_ids}, headers=headers(user))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def stored_votes(topic: Topic) -> tuple[int, int]:
    """(voters rows, ballot rows) of a topic."""
    voters = db.session.scalar(sa.select(sa.func.count(Voter.id)).where(Voter.topic_id == topic.id))
    ballots_ = db.session.scalar(sa.select(sa.func.count(Ballot.key)).where(Ballot.topic_id == topic.id))
    return voters, ballots_
