"""Topic rules: propose or create, review, support, the phase machine, the committee's response.

Phases: `pending_review → discussion → voting → closed`, or `rejected`, or `withdrawn`. Every
transition is one conditional UPDATE on the phase it starts from, so two committee members acting
at once cannot both succeed, and an action the phase does not allow is 409 `invalid_transition`
with nothing changed. Voting itself (open, cast, close, tally) lives in `ballots.py`.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound, Unprocessable
from backend.core.policies import Actor
from backend.deliberations import notices
from backend.deliberations.eligibility import (home_community, households_in, in_scope, managed_communities,
                                               scope_grids_valid)
from backend.deliberations.models import (DeliberationSettings, Poll, PollOption, Topic, TopicScope,
                                          TopicSupport)
from backend.deliberations.screening import SCENE_FORUM, screen
from backend.extensions import db
from backend.grids.models import Community
from backend.media.models import MediaFile
from backend.media.screening import screen_photos

DEFAULT_SUPPORT_COUNT = 20
DEFAULT_RESPONSE_DAYS = 15
YES_NO_ABSTAIN = ("赞成", "反对", "弃权")
PUBLIC_PHASES = ("discussion", "voting", "closed")


# --- reading ------------------------------------------------------------------------------------

TOPIC_WITH_BALLOT = (sa.select(Topic).options(sa.orm.joinedload(Topic.poll).joinedload(Poll.options))
                     .where(Topic.id == sa.bindparam("topic_id")))  # built once: it runs on every ballot


def find_topic(topic_id: int) -> Topic | None:
    """The topic with its ballot and options, loaded in one query once per session.

    The session keeps a strong reference, so the policy check and the service share one load (the
    identity map alone holds objects weakly, so a second lookup would query again).
    """
    loaded = db.session.info.setdefault("linli_topics", {})
    topic = loaded.get(topic_id)
    if topic is None or topic not in db.session:
        topic = loaded[topic_id] = db.session.execute(
            TOPIC_WITH_BALLOT, {"topic_id": topic_id}).unique().scalar_one_or_none()
    return topic


def get_topic(topic_id: int) -> Topic:
    topic = find_topic(topic_id)
    if topic is None:
        raise NotFound("议题不存在", reason="topic_not_found")
    return topic


def may_view(actor: Actor, topic: Topic) -> bool:
    """Managers of the community and the proposer always; residents of the community once it is public."""
    if topic.proposer_id == actor.user_id or topic.community_id in managed_communities(actor):
        return True
    return topic.phase in PUBLIC_PHASES and home_community(actor) == topic.community_id


def may_manage(actor: Actor, topic: Topic) -> bool:
    return topic.community_id in managed_communities(actor)


def list_query(actor: Actor, *, phase: str | None = None, community_id: int | None = None, view: str = "all",
               overdue: bool = False, now: datetime | None = None):
    """Topics the actor may see, newest first: their community's public topics, their own proposals,
    and everything in the communities they manage."""
    managed = managed_communities(actor)
    home = home_community(actor)
    visible = [Topic.proposer_id == actor.user_id, Topic.community_id.in_(managed or {0})]
    if home is not None:
        visible.append(sa.and_(Topic.community_id == home, Topic.phase.in_(PUBLIC_PHASES)))
    query = sa.select(Topic).options(sa.orm.selectinload(Topic.poll)).where(sa.or_(*visible))
    if view == "mine":
        query = query.where(Topic.proposer_id == actor.user_id)
    elif view == "supported":
        query = query.where(Topic.id.in_(sa.select(TopicSupport.topic_id).where(TopicSupport.user_id == actor.user_id)))
    if phase:
        query = query.where(Topic.phase == phase)
    if community_id is not None:
        query = query.where(Topic.community_id == community_id)
    if overdue:
        query = query.where(Topic.phase == "closed", Topic.responded_at.is_(None),
                            Topic.response_due_at < (now or utcnow()))
    return query.order_by(Topic.created_at.desc(), Topic.id.desc())


# --- settings -----------------------------------------------------------------------------------

def settings_for(community_id: int) -> DeliberationSettings:
    """The community's settings, or the defaults (not stored) when it has none."""
    stored = db.session.get(DeliberationSettings, community_id)
    if stored is not None:
        return stored
    return DeliberationSettings(community_id=community_id, support_count=DEFAULT_SUPPORT_COUNT,
                                support_percent=None, response_days=DEFAULT_RESPONSE_DAYS)


def update_settings(community_id: int, actor: Actor, changes: dict) -> DeliberationSettings:
    """Change the support threshold and response deadline; topics already in discussion keep theirs."""
    if db.session.get(Community, community_id) is None:
        raise NotFound("社区不存在", reason="community_not_found")
    settings = db.session.get(DeliberationSettings, community_id)
    if settings is None:
        settings = settings_for(community_id)
        db.session.add(settings)
    for field in ("support_count", "support_percent", "response_days"):
        if field in changes:
            setattr(settings, field, changes[field])
    if settings.support_count is None and settings.support_percent is None:
        db.session.rollback()
        raise Unprocessable("请至少设置一种附议门槛（人数或户数比例）", reason="threshold_missing")
    settings.updated_at, settings.updated_by_id = utcnow(), actor.user_id
    db.session.commit()
    return settings


def support_threshold(community_id: int) -> int:
    """Supports needed to reach the agenda: the smaller of the count and the share of households set."""
    settings = settings_for(community_id)
    candidates = []
    if settings.support_count:
        candidates.append(settings.support_count)
    if settings.support_percent:
        candidates.append(math.ceil(households_in(community_id) * settings.support_percent / 100))
    return max(1, min(candidates or [DEFAULT_SUPPORT_COUNT]))


# --- proposing and creating ---------------------------------------------------------------------

def create_topic(actor: Actor, data: dict, now: datetime | None = None) -> Topic:
    """A committee creates a topic straight into discussion; a verified resident proposes one for review.

    Either way the text is screened first: `risky` is refused, `review` waits for the committee.
    """
    now = now or utcnow()
    community_id = data.get("community_id")
    as_committee = community_id is not None and community_id in managed_communities(actor)
    if not as_committee:
        member = actor.home
        if member is None or member.verified_at is None:
            raise Forbidden("只有已认证的居民才能发起议题，请先通过社区邀请码加入住户", reason="not_verified")
        if community_id not in (None, member.community_id):
            raise Forbidden("只能在您所在的社区发起议题", reason="not_eligible")
        community_id = member.community_id
    scopes = _scopes(community_id, data.get("grid_ids", []), data.get("buildings", []))
    photos = _photos(actor.user_id, data.get("photo_ids", []))
    verdict = screen(data["body"], openid=openid_of(actor.user_id), scene=SCENE_FORUM, title=data["title"])
    topic = Topic(community_id=community_id, proposer_id=actor.user_id, title=data["title"], body=data["body"],
                  origin="committee" if as_committee else "resident", screening=verdict.suggest,
                  phase="discussion" if as_committee and not verdict.held else "pending_review",
                  scoped=bool(scopes), scopes=[TopicScope(grid_id=g, building=b) for g, b in scopes], created_at=now)
    if topic.phase == "discussion":
        _enter_discussion(topic, now)
    if data.get("ballot"):
        set_ballot(topic, data["ballot"])
    db.session.add(topic)
    db.session.flush()
    for photo in photos:
        photo.attached_type, photo.attached_id = "topic", topic.id
    screen_photos(photos, SCENE_FORUM)  # residents see them once WeChat's image check passes them
    if topic.phase == "pending_review":
        notices.topic_proposed(topic)
    db.session.commit()
    return topic


def openid_of(user_id: int) -> str:
    return db.session.scalar(sa.select(User.openid).where(User.id == user_id))


def _scopes(community_id: int, grid_ids: list[int], buildings: list[dict]) -> list[tuple[int, str]]:
    rows = [(g, "") for g in dict.fromkeys(grid_ids)]
    rows += [(b["grid_id"], b["building"]) for b in buildings if (b["grid_id"], "") not in rows]
    rows = list(dict.fromkeys(rows))
    if not scope_grids_valid(community_id, {g for g, _ in rows}):
        raise Unprocessable("议题范围中的网格必须属于该社区", reason="invalid_scope")
    return rows


def _photos(owner_id: int, photo_ids: list[int]) -> list[MediaFile]:
    photos = list(db.session.scalars(sa.select(MediaFile).where(MediaFile.id.in_(set(photo_ids))))) if photo_ids else []
    if len(photos) != len(set(photo_ids)) or any(p.owner_id != owner_id or p.attached_type for p in photos):
        raise Unprocessable("只能附上您本人上传且未使用过的照片", reason="invalid_photo")
    return photos


def set_ballot(topic: Topic, spec: dict) -> Poll:
    """Set (or replace) the ballot's settings while voting has not been opened."""
    poll = topic.poll
    if poll is not None and poll.fixed_at is not None:
        raise InvalidTransition("投票已开启，投票设置不能再修改")
    if poll is None:
        poll = topic.poll = Poll(ballot_type=spec["type"])
    elif poll.options:
        poll.options.clear()
        db.session.flush()  # delete the old options before their positions are reused
    labels = list(YES_NO_ABSTAIN) if spec["type"] == "yes_no_abstain" else spec["options"]
    poll.ballot_type, poll.per, poll.pass_rule = spec["type"], spec["per"], spec["pass_rule"]
    poll.max_choices = spec["max_choices"] if spec["type"] == "multiple" else 1
    poll.quorum_percent, poll.hide_counts = spec["quorum_percent"], spec["hide_counts_until_close"]
    poll.options.extend(PollOption(position=i, label=label) for i, label in enumerate(labels))
    return poll


# --- the committee's review ---------------------------------------------------------------------

def transition(topic: Topic, from_phases: tuple[str, ...], to_phase: str, **values) -> None:
    """Move a topic between phases with one conditional UPDATE; 409 `invalid_transition` otherwise."""
    moved = db.session.execute(sa.update(Topic).where(Topic.id == topic.id, Topic.phase.in_(from_phases))
                               .values(phase=to_phase, **values)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidTransition()
    db.session.refresh(topic)


def _enter_discussion(topic: Topic, now: datetime) -> None:
    topic.support_threshold = support_threshold(topic.community_id)
    if topic.origin == "committee":
        topic.on_agenda_at = now  # the committee put it there itself


def approve(topic_id: int, actor: Actor, ballot: dict | None = None, now: datetime | None = None) -> Topic:
    """Approve a proposal: it enters discussion and starts collecting supports."""
    now = now or utcnow()
    topic = get_topic(topic_id)
    transition(topic, ("pending_review",), "discussion", reviewed_at=now, reviewed_by_id=actor.user_id,
               support_threshold=support_threshold(topic.community_id),
               on_agenda_at=now if topic.origin == "committee" else None)
    if ballot:
        set_ballot(topic, ballot)
    notices.topic_reviewed(topic)
    db.session.commit()
    return topic


def reject(topic_id: int, actor: Actor, reason: str, now: datetime | None = None) -> Topic:
    """Reject a proposal with a reason the proposer sees."""
    topic = get_topic(topic_id)
    transition(topic, ("pending_review",), "rejected", rejection_reason=reason, reviewed_at=now or utcnow(),
               reviewed_by_id=actor.user_id)
    notices.topic_reviewed(topic)
    db.session.commit()
    return topic


def withdraw(topic_id: int, actor: Actor, now: datetime | None = None) -> Topic:
    """The proposer (or the committee) withdraws a topic before voting is set up."""
    topic = get_topic(topic_id)
    if topic.poll is not None and topic.poll.fixed_at is not None:
        raise InvalidTransition("投票已安排，议题不能撤回")
    transition(topic, ("pending_review", "discussion"), "withdrawn", withdrawn_at=now or utcnow())
    db.session.commit()
    return topic


# --- supports -----------------------------------------------------------------------------------

def support_refusal(actor: Actor, topic: Topic) -> DomainError | None:
    """Why the actor may not support the topic (the error to raise), or None if they may."""
    if topic.phase != "discussion":
        return InvalidTransition("当前阶段不能附议")
    member = actor.home
    if member is None or member.verified_at is None:
        return Forbidden("只有已认证的居民才能附议，请先通过社区邀请码加入住户", reason="not_verified")
    if not in_scope(topic, member):
        return Forbidden("您的住址不在该议题的范围内", reason="not_eligible")
    if topic.proposer_id == actor.user_id:
        return Conflict("不能附议自己发起的议题", reason="own_topic")
    return None


def support(topic_id: int, actor: Actor, now: datetime | None = None) -> Topic:
    """Add the actor's support; reaching the threshold puts the topic on the agenda and tells the committee."""
    now = now or utcnow()
    topic = get_topic(topic_id)
    refusal = support_refusal(actor, topic)
    if refusal is not None:
        raise refusal
    db.session.add(TopicSupport(topic_id=topic.id, user_id=actor.user_id, created_at=now))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("您已经附议过这个议题", reason="already_supported") from None
    db.session.execute(sa.update(Topic).where(Topic.id == topic.id).values(support_count=Topic.support_count + 1))
    reached = db.session.execute(
        sa.update(Topic).where(Topic.id == topic.id, Topic.on_agenda_at.is_(None),
                               Topic.support_count >= Topic.support_threshold).values(on_agenda_at=now)).rowcount
    db.session.refresh(topic)
    if reached:
        notices.topic_on_agenda(topic)
    db.session.commit()
    return topic


def has_supported(topic_id: int, user_id: int) -> bool:
    return db.session.scalar(sa.select(TopicSupport.id).where(TopicSupport.topic_id == topic_id,
                                                              TopicSupport.user_id == user_id)) is not None


# --- after the close: the committee's response --------------------------------------------------

def response_due(community_id: int, closed_at: datetime) -> datetime:
    return closed_at + timedelta(days=settings_for(community_id).response_days)


def respond(topic_id: int, actor: Actor, text: str, now: datetime | None = None) -> Topic:
    """Publish the committee's response (处理结果) to a closed topic; it is published once."""
    now = now or utcnow()
    topic = get_topic(topic_id)
    moved = db.session.execute(sa.update(Topic).where(Topic.id == topic.id, Topic.phase == "closed",
                                                      Topic.responded_at.is_(None))
                               .values(response=text, responded_at=now, responded_by_id=actor.user_id)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidTransition("只有已结束且尚未答复的议题可以发布处理结果")
    db.session.refresh(topic)
    notices.topic_responded(topic)
    db.session.commit()
    return topic


def is_response_overdue(topic: Topic, now: datetime | None = None) -> bool:
    return (topic.phase == "closed" and topic.responded_at is None and topic.response_due_at is not None
            and topic.response_due_at < (now or utcnow()))


def notify_overdue_responses(now: datetime | None = None) -> int:
    """Tell the committee, once per topic, that a response is overdue (no commit: the sweep commits)."""
    now = now or utcnow()
    topics = db.session.scalars(sa.select(Topic).where(
        Topic.phase == "closed", Topic.responded_at.is_(None), Topic.response_due_at < now,
        Topic.overdue_notified_at.is_(None)).order_by(Topic.id).limit(100)).all()
    for topic in topics:
        topic.overdue_notified_at = now
        notices.response_overdue(topic)
    return len(topics)
