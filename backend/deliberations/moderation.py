"""Moderation: residents' reports (举报), the three-report rule, moderators' actions, the queue and the log.

Every action (a moderator's or the three-report rule's) is logged with who and why, and the
comment's author is told.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.core.db import utcnow
from backend.core.errors import Conflict, InvalidTransition
from backend.core.policies import Actor
from backend.deliberations import notices
from backend.deliberations.comments import get_comment
from backend.deliberations.eligibility import managed_communities
from backend.deliberations.models import Comment, CommentReport, ModerationAction, Topic
from backend.deliberations.service import get_topic
from backend.extensions import db
from backend.media.models import MediaFile
from backend.media.screening import awaiting_a_manager

AUTO_HIDE_REPORTS = 3
# action → (statuses it may start from, the status it leaves)
STATUS_ACTIONS = {"hide": (("visible", "held"), "hidden"), "restore": (("hidden", "held", "visible"), "visible")}
# action → (the column it sets or clears, set?); top-level comments only
THREAD_ACTIONS = {"lock": ("locked_at", True), "unlock": ("locked_at", False),
                  "pin": ("pinned_at", True), "unpin": ("pinned_at", False)}


def report(comment_id: int, actor: Actor, reason: str, note: str = "", now: datetime | None = None) -> Comment:
    """Report a comment once; at three open reports it is hidden until a moderator reviews it."""
    now = now or utcnow()
    comment = get_comment(comment_id)
    if comment.status != "visible":
        raise Conflict("该评论当前不能举报", reason="comment_unavailable")
    if comment.author_id == actor.user_id:
        raise Conflict("不能举报自己的评论", reason="own_comment")
    db.session.add(CommentReport(comment_id=comment.id, user_id=actor.user_id, reason=reason, note=note,
                                 created_at=now))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("您已经举报过这条评论，我们会尽快处理", reason="already_reported") from None
    db.session.execute(sa.update(Comment).where(Comment.id == comment.id)
                       .values(report_count=Comment.report_count + 1))
    hidden = db.session.execute(sa.update(Comment).where(
        Comment.id == comment.id, Comment.status == "visible", Comment.report_count >= AUTO_HIDE_REPORTS)
        .values(status="hidden", pinned_at=None)).rowcount
    db.session.refresh(comment)
    if hidden:
        _log(comment, None, "auto_hide", f"被 {AUTO_HIDE_REPORTS} 位居民举报，等待管理员复核", now)
    db.session.commit()
    return comment


def moderate(comment_id: int, actor: Actor, action: str, reason: str, now: datetime | None = None) -> Comment:
    """A moderator hides, restores, locks, unlocks, pins or unpins a comment, saying why."""
    now = now or utcnow()
    comment = get_comment(comment_id)
    if action in STATUS_ACTIONS:
        _change_status(comment, action)
    else:
        _change_thread(comment, action, now)
    _log(comment, actor.user_id, action, reason, now)
    db.session.commit()
    return comment


def _change_status(comment: Comment, action: str) -> None:
    """hide or restore; either one closes the comment's open reports (the review is done).

    A reply released to view (held, or hidden) is announced to the author of the comment it answers.
    """
    starts, target = STATUS_ACTIONS[action]
    released = target == "visible" and comment.status != "visible"
    query = sa.update(Comment).where(Comment.id == comment.id, Comment.status.in_(starts))
    if action == "restore":  # a visible comment is "restored" only to dismiss its reports
        query = query.where(sa.or_(Comment.status != "visible", Comment.report_count > 0))
    values = {"status": target, "report_count": 0}
    if target == "hidden":
        values["pinned_at"] = None
    if db.session.execute(query.values(**values)).rowcount != 1:
        db.session.rollback()
        raise InvalidTransition()
    db.session.execute(sa.update(CommentReport).where(CommentReport.comment_id == comment.id,
                                                      CommentReport.resolved_at.is_(None)).values(resolved_at=utcnow()))
    db.session.refresh(comment)
    if released and comment.parent_id is not None:
        notices.reply_visible(get_topic(comment.topic_id), get_comment(comment.parent_id), comment)


def _change_thread(comment: Comment, action: str, now: datetime) -> None:
    """lock/unlock a thread, pin/unpin a comment: top-level comments only, and only when it changes something."""
    column, setting = THREAD_ACTIONS[action]
    attribute = getattr(Comment, column)
    condition = attribute.is_(None) if setting else attribute.is_not(None)
    query = sa.update(Comment).where(Comment.id == comment.id, Comment.parent_id.is_(None), condition)
    if action == "pin":
        query = query.where(Comment.status == "visible")
    if db.session.execute(query.values({column: now if setting else None})).rowcount != 1:
        db.session.rollback()
        raise InvalidTransition()
    db.session.refresh(comment)


def _log(comment: Comment, actor_id: int | None, action: str, reason: str, now: datetime) -> None:
    entry = ModerationAction(topic_id=comment.topic_id, comment_id=comment.id, actor_id=actor_id, action=action,
                             reason=reason, created_at=now)
    db.session.add(entry)
    db.session.flush()
    notices.comment_moderated(get_topic(comment.topic_id), comment, action, reason, entry.id)


def queue_query(actor: Actor, community_id: int | None = None, now: datetime | None = None):
    """What waits for a human in the communities the actor manages, oldest first: `(kind, id)` rows.

    Held and reported comments (`comment`), and topic photos WeChat's image check held for a manager
    or never answered for (`photo`, see `media.screening.awaiting_a_manager`); comments and photos of
    the same moment in that order.
    """
    communities = managed_communities(actor)
    if community_id is not None:
        communities = communities & {community_id}
    managed = Topic.community_id.in_(communities or {0})
    held_comments = (sa.select(sa.literal_column("'comment'", sa.String).label("kind"), Comment.id, Comment.created_at)
                     .join(Topic, Topic.id == Comment.topic_id)
                     .where(managed, sa.or_(Comment.status == "held",
                                            sa.and_(Comment.report_count > 0, Comment.status != "deleted"))))
    held_photos = (sa.select(sa.literal_column("'photo'", sa.String).label("kind"), MediaFile.id, MediaFile.created_at)
                   .join(Topic, sa.and_(MediaFile.attached_type == "topic", MediaFile.attached_id == Topic.id))
                   .where(managed, awaiting_a_manager(now or utcnow())))
    held = sa.union_all(held_comments, held_photos).subquery()
    return sa.select(held.c.kind, held.c.id).order_by(held.c.created_at, held.c.kind, held.c.id)


def open_reports(comment_ids: list[int]) -> dict[int, dict[str, int]]:
    """Open reports per comment, counted by reason."""
    counts: dict[int, dict[str, int]] = {comment_id: {} for comment_id in comment_ids}
    if comment_ids:
        for comment_id, reason, n in db.session.execute(
                sa.select(CommentReport.comment_id, CommentReport.reason, sa.func.count(CommentReport.id))
                .where(CommentReport.comment_id.in_(comment_ids), CommentReport.resolved_at.is_(None))
                .group_by(CommentReport.comment_id, CommentReport.reason)):
            counts[comment_id][reason] = n
    return counts


def log_query(topic_id: int):
    """The moderation log of a topic, newest first."""
    get_topic(topic_id)
    return (sa.select(ModerationAction).where(ModerationAction.topic_id == topic_id)
            .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()))
