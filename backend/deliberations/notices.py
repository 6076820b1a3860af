"""What deliberations tell people, and which mini-program page each notice opens.

Every notice goes through `backend.notifications.service.notify` inside the caller's transaction,
keyed so that a job or request that runs twice tells each person once.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from backend.core.db import utcnow
from backend.deliberations.eligibility import committee_members, household_members, roll_user_ids
from backend.deliberations.models import Comment, Topic, TopicSupport
from backend.extensions import db
from backend.grids.service import local_tz
from backend.notifications.models import Notification
from backend.notifications.service import notify

TOPIC_PAGE = "pages/topics/detail/detail?id={id}"
COMMITTEE_REVIEW_PAGE = "committee/pages/review/review"
COMMITTEE_TOPIC_PAGE = "committee/pages/topic/topic?id={id}"

MODERATION_WORDS = {"hide": "已被隐藏", "restore": "已恢复显示", "lock": "已被锁定，不能再回复", "unlock": "已解除锁定",
                    "pin": "已被置顶", "unpin": "已取消置顶", "auto_hide": "因多人举报已暂时隐藏，等待管理员复核"}


def _key(topic: Topic, event: str, user_id: int) -> str:
    return f"topic:{topic.id}:{event}:{user_id}"


def _tell(user_ids: Iterable[int | None], kind: str, title: str, body: str, topic: Topic, event: str,
          link: str, status: str = "", when: str = "") -> None:
    """Notify each user once per topic and event; `when` is the subscribe message's time (default: now)."""
    when = when or utcnow().astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
    for user_id in dict.fromkeys(u for u in user_ids if u is not None):
        notify(user_id, kind, title, body, dedupe_key=_key(topic, event, user_id), link=link,
               subject=("topic", topic.id), message={"title": topic.title, "status": status or title, "time": when})


def _told(topic: Topic, event: str, user_ids: list[int]) -> set[int]:
    """Which of these users have already been told of the topic's event."""
    keys = {_key(topic, event, user_id): user_id for user_id in user_ids}
    return {keys[key] for key in db.session.scalars(sa.select(Notification.dedupe_key)
                                                    .where(Notification.dedupe_key.in_(keys)))}


def _page(topic: Topic) -> str:
    return TOPIC_PAGE.format(id=topic.id)


def _supporters(topic: Topic) -> list[int]:
    return list(db.session.scalars(sa.select(TopicSupport.user_id).where(TopicSupport.topic_id == topic.id)))


def topic_proposed(topic: Topic) -> None:
    """A proposal waits for review: tell the committee."""
    _tell(committee_members(topic.community_id), "topic_proposed", "有新的议题待审核", topic.title, topic,
          "proposed", COMMITTEE_REVIEW_PAGE, "待审核")


def topic_reviewed(topic: Topic) -> None:
    """Tell the proposer their proposal was approved or rejected (with the reason)."""
    if topic.phase == "rejected":
        _tell([topic.proposer_id], "topic_rejected", "您的议题未通过审核", f"原因：{topic.rejection_reason}",
              topic, "rejected", _page(topic), "未通过")
    else:
        _tell([topic.proposer_id], "topic_approved", "您的议题已通过审核", "议题已进入讨论，邻居们可以附议和发表意见",
              topic, "approved", _page(topic), "已通过")


def topic_on_agenda(topic: Topic) -> None:
    """The support threshold was reached: the topic is on the council's agenda."""
    body = f"「{topic.title}」已获 {topic.support_count} 人附议，列入议事会议程"
    _tell(committee_members(topic.community_id), "topic_on_agenda", "议题附议已达门槛", body, topic,
          "agenda", COMMITTEE_TOPIC_PAGE.format(id=topic.id), "列入议程")
    _tell([topic.proposer_id], "topic_on_agenda", "您的议题已列入议程", body, topic, "agenda", _page(topic), "列入议程")


def voting_audience(topic: Topic, after_user_id: int, limit: int) -> list[int]:
    """The next `limit` people, by user id after `after_user_id`, to tell that voting opened: everyone on
    the roll, and the proposer and supporters even if they are not (moved away, or committee staff)."""
    people = sa.union(
        roll_user_ids(topic, topic.poll.opens_at, after_user_id),
        sa.select(TopicSupport.user_id).where(TopicSupport.topic_id == topic.id,
                                              TopicSupport.user_id > after_user_id),
        sa.select(Topic.proposer_id).where(Topic.id == topic.id, Topic.proposer_id > after_user_id),
    ).subquery()
    return list(db.session.scalars(sa.select(people.c.user_id).order_by(people.c.user_id).limit(limit)))


def voting_opened(topic: Topic, user_ids: list[int]) -> bool:
    """Tell these people (one chunk of `voting_audience`) that voting is open and until when.

    False, telling nobody, when every one of them was told already: the chunk ran before.
    """
    already = _told(topic, "opened", user_ids)
    untold = [user_id for user_id in user_ids if user_id not in already]
    closes = topic.poll.closes_at.astimezone(local_tz())
    _tell(untold, "voting_opened", "议题开始投票", f"议题《{topic.title}》开始投票，截止 {closes:%m月%d日 %H:%M}",
          topic, "opened", _page(topic), "投票中", when=f"{closes:%Y-%m-%d %H:%M}")
    return bool(untold)


def topic_closed(topic: Topic) -> None:
    """Voting (or a discussion without a vote) ended: residents see the result, the committee owes a response."""
    voted = topic.poll is not None and topic.poll.tallied_at is not None
    body = f"「{topic.title}」的投票结果已公布" if voted else f"「{topic.title}」的讨论已结束"
    _tell([topic.proposer_id, *_supporters(topic)], "topic_closed", "议题已结束", body, topic, "closed",
          _page(topic), "已结束")
    due = topic.response_due_at.astimezone(local_tz()).strftime("%Y-%m-%d") if topic.response_due_at else ""
    _tell(committee_members(topic.community_id), "topic_closed", "议题已结束，请发布处理结果",
          f"「{topic.title}」已结束，请于 {due} 前发布处理结果", topic, "closed",
          COMMITTEE_TOPIC_PAGE.format(id=topic.id), "待答复")


def topic_responded(topic: Topic) -> None:
    _tell([topic.proposer_id, *_supporters(topic)], "topic_responded", "议题处理结果已发布", topic.response[:200],
          topic, "responded", _page(topic), "已答复")


def response_overdue(topic: Topic) -> None:
    _tell(committee_members(topic.community_id), "response_overdue", "议题处理结果已逾期",
          f"「{topic.title}」的处理结果已超过期限，请尽快发布", topic, "overdue",
          COMMITTEE_TOPIC_PAGE.format(id=topic.id), "已逾期")


def household_voted(topic: Topic, household_id: int, voter_id: int) -> None:
    """Per-household topics: tell the other members their household's vote has been used."""
    others = [u for u in household_members(household_id) if u != voter_id]
    _tell(others, "household_voted", "您家已完成投票", f"「{topic.title}」按户投票，您家已有成员投出本户一票",
          topic, "household-voted", _page(topic), "已投票")


def reply_visible(topic: Topic, parent: Comment, reply: Comment) -> None:
    """A reply became visible (passed screening, or a moderator released it): tell the author of the
    comment it answers, once per reply, unless they replied to themselves."""
    if parent.author_id == reply.author_id or parent.status == "deleted":
        return
    name = reply.author.nickname if reply.author is not None else "邻居"
    _tell([parent.author_id], "comment_replied", "您的评论有了新回复", f"{name}：{reply.body[:200]}", topic,
          f"reply-{reply.id}", _page(topic), "有新回复")


def comment_moderated(topic: Topic, comment: Comment, action: str, reason: str, action_id: int) -> None:
    """Tell a comment's author what a moderator (or the report rule) did, and why."""
    if comment.author_id is None:
        return
    notify(comment.author_id, "comment_moderated", f"您的评论{MODERATION_WORDS[action]}", f"原因：{reason}",
           dedupe_key=f"moderation:{action_id}", link=_page(topic), subject=("topic", topic.id),
           message={"title": topic.title, "status": MODERATION_WORDS[action][:5], "time": ""})
