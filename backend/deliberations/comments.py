"""The discussion: comments with one level of replies and a stance, edits with history, deletions
that leave a placeholder. Every text is screened before anyone else sees it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from backend.core.policies import Actor
from backend.deliberations import notices
from backend.deliberations.models import Comment, CommentRevision, CommentReport, Topic
from backend.deliberations.screening import SCENE_COMMENT, screen
from backend.deliberations.service import openid_of, get_topic, may_manage
from backend.extensions import db

COMMENTABLE_PHASES = ("discussion", "voting")


def get_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("评论不存在", reason="comment_not_found")
    return comment


def comment_refusal(actor: Actor, topic: Topic) -> DomainError | None:
    """Why the actor may not comment on the topic now, or None: verified residents of the community
    and its managers, while the topic is in discussion or voting."""
    if topic.phase not in COMMENTABLE_PHASES:
        return Conflict("该议题当前不能发表评论", reason="comments_closed")
    if may_manage(actor, topic):
        return None
    member = actor.home
    if member is None or member.verified_at is None:
        return Forbidden("只有已认证的居民才能参与讨论，请先通过社区邀请码加入住户", reason="not_verified")
    if member.community_id != topic.community_id:
        return Forbidden("只有本社区的居民可以参与讨论", reason="not_eligible")
    return None


def _thread_locked(comment: Comment) -> bool:
    thread = comment if comment.parent_id is None else db.session.get(Comment, comment.parent_id)
    return thread is not None and thread.locked_at is not None


def add_comment(topic_id: int, actor: Actor, body: str, stance: str | None = None, parent_id: int | None = None,
                now: datetime | None = None) -> Comment:
    """Post a comment or a reply; held for a moderator when the checker asks for review. A reply
    shown at once is announced to the author of the comment it answers."""
    topic = get_topic(topic_id)
    refusal = comment_refusal(actor, topic)
    if refusal is not None:
        raise refusal
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.topic_id != topic.id:
            raise Unprocessable("要回复的评论不存在", reason="invalid_parent")
        if parent.parent_id is not None:
            raise Unprocessable("只能回复一级评论", reason="reply_depth")
        if parent.status != "visible":
            raise Conflict("该评论当前不能回复", reason="comment_unavailable")
        if parent.locked_at is not None:
            raise Conflict("该讨论串已被管理员锁定，不能再回复", reason="thread_locked")
    verdict = screen(body, openid=openid_of(actor.user_id), scene=SCENE_COMMENT)
    comment = Comment(topic_id=topic.id, parent_id=parent_id, author_id=actor.user_id, body=body, stance=stance,
                      status="held" if verdict.held else "visible", created_at=now or utcnow())
    db.session.add(comment)
    db.session.flush()
    if parent is not None and comment.status == "visible":
        notices.reply_visible(topic, parent, comment)
    db.session.commit()
    return comment


def edit_comment(comment_id: int, actor: Actor, body: str, stance: str | None = None,
                 now: datetime | None = None) -> Comment:
    """The author edits their comment; the earlier text is kept, the new one screened again."""
    comment = get_comment(comment_id)
    topic = get_topic(comment.topic_id)
    if comment.status not in ("visible", "held") or topic.phase not in COMMENTABLE_PHASES:
        raise Conflict("该评论当前不能修改", reason="comment_unavailable")
    if _thread_locked(comment):
        raise Conflict("该讨论串已被管理员锁定", reason="thread_locked")
    verdict = screen(body, openid=openid_of(actor.user_id), scene=SCENE_COMMENT)
    now = now or utcnow()
    db.session.add(CommentRevision(comment_id=comment.id, body=comment.body, stance=comment.stance, created_at=now))
    comment.body, comment.stance, comment.edited_at = body, stance, now
    if verdict.held:
        comment.status = "held"
    db.session.commit()
    return comment


def delete_comment(comment_id: int, actor: Actor, now: datetime | None = None) -> Comment:
    """The author deletes their comment: a placeholder stays so replies keep their place."""
    comment = get_comment(comment_id)
    if comment.status == "deleted":
        raise Conflict("该评论已删除", reason="comment_unavailable")
    now = now or utcnow()
    db.session.add(CommentRevision(comment_id=comment.id, body=comment.body, stance=comment.stance, created_at=now))
    comment.body, comment.status, comment.deleted_at, comment.pinned_at = "", "deleted", now, None
    comment.report_count = 0
    db.session.execute(sa.update(CommentReport).where(CommentReport.comment_id == comment.id,
                                                      CommentReport.resolved_at.is_(None)).values(resolved_at=now))
    db.session.commit()
    return comment


def visibility_filter(actor: Actor, topic: Topic):
    """Which comments the actor sees at all: managers everything; others all but other people's held ones."""
    if may_manage(actor, topic):
        return sa.true()
    return sa.or_(Comment.status != "held", Comment.author_id == actor.user_id)


def threads_query(actor: Actor, topic_id: int):
    """Top-level comments of a topic, pinned first, then oldest first."""
    topic = get_topic(topic_id)
    return (sa.select(Comment).where(Comment.topic_id == topic.id, Comment.parent_id.is_(None),
                                     visibility_filter(actor, topic))
            .order_by(Comment.pinned_at.is_(None), Comment.pinned_at, Comment.created_at, Comment.id))


def replies_to(actor: Actor, topic: Topic, parent_ids: list[int]) -> dict[int, list[Comment]]:
    """The replies under each of these comments, oldest first."""
    replies: dict[int, list[Comment]] = {parent_id: [] for parent_id in parent_ids}
    if parent_ids:
        for reply in db.session.scalars(sa.select(Comment).where(
                Comment.parent_id.in_(parent_ids), visibility_filter(actor, topic))
                .order_by(Comment.created_at, Comment.id)):
            replies[reply.parent_id].append(reply)
    return replies


def comment_count(topic_id: int) -> int:
    """Comments anyone can read."""
    return db.session.scalar(sa.select(sa.func.count(Comment.id))
                             .where(Comment.topic_id == topic_id, Comment.status == "visible"))


def revisions(comment_id: int) -> list[CommentRevision]:
    get_comment(comment_id)
    return list(db.session.scalars(sa.select(CommentRevision).where(CommentRevision.comment_id == comment_id)
                                   .order_by(CommentRevision.id)))
