"""Who may do what with topics, comments and votes (registered in `backend.core.policies`).

A policy given the id of something that does not exist answers True, so the service can answer
404; eligibility to support, comment or vote (verified, in scope, once) is a rule of the service
with its own reasons, not a permission.
"""
from __future__ import annotations

from backend.core.policies import Actor, allowed, policy
from backend.deliberations.eligibility import managed_communities
from backend.deliberations.models import Comment, Topic
from backend.deliberations.service import find_topic, may_manage, may_view
from backend.extensions import db
from backend.media.service import register_attachment_viewer


def _topic(topic_id: int | None) -> Topic | None:
    return find_topic(topic_id) if topic_id is not None else None


def _comment_topic(comment_id: int | None) -> tuple[Comment | None, Topic | None]:
    comment = db.session.get(Comment, comment_id) if comment_id is not None else None
    return comment, (db.session.get(Topic, comment.topic_id) if comment is not None else None)


@policy("topic.propose")
def _topic_propose(actor, **_):
    """Any logged-in user may ask; the service decides between a committee topic and a resident's proposal."""
    return actor is not None


@policy("topic.view")
def _topic_view(actor, topic_id: int | None = None, **_):
    """The proposer, the community's managers, and its residents once the topic is public."""
    if actor is None:
        return False
    topic = _topic(topic_id)
    return topic is None or may_view(actor, topic)


@policy("ballot.cast", token_only=True)
def _ballot_cast(actor, **_):
    """Any logged-in user may try; casting (`backend.deliberations.casting`) checks in its own statement that
    the account is active, on the roll and in scope, and refuses with the reason otherwise. Token-only at
    the route, so a ballot costs no authentication query."""
    return actor is not None


@policy("topic.manage")
def _topic_manage(actor, topic_id: int | None = None, **_):
    """The committee of the topic's community, or street/district admins over it."""
    if actor is None:
        return False
    topic = _topic(topic_id)
    return topic is None or may_manage(actor, topic)


@policy("topic.withdraw")
def _topic_withdraw(actor, topic_id: int | None = None, **_):
    """The proposer, or the community's managers."""
    if actor is None:
        return False
    topic = _topic(topic_id)
    return topic is None or topic.proposer_id == actor.user_id or may_manage(actor, topic)


@policy("comment.author")
def _comment_author(actor, comment_id: int | None = None, **_):
    """Only the author edits or deletes a comment."""
    if actor is None:
        return False
    comment, _topic_of = _comment_topic(comment_id)
    return comment is None or comment.author_id == actor.user_id


@policy("comment.view")
def _comment_view(actor, comment_id: int | None = None, **_):
    """Whoever may see the comment's topic (reporting included)."""
    if actor is None:
        return False
    comment, topic = _comment_topic(comment_id)
    return topic is None or may_view(actor, topic)


@policy("comment.history")
def _comment_history(actor, comment_id: int | None = None, **_):
    """The author, and the managers of the comment's community."""
    if actor is None:
        return False
    comment, topic = _comment_topic(comment_id)
    return topic is None or comment.author_id == actor.user_id or may_manage(actor, topic)


@policy("comment.moderate")
def _comment_moderate(actor, comment_id: int | None = None, **_):
    """The managers of the comment's community."""
    if actor is None:
        return False
    comment, topic = _comment_topic(comment_id)
    return topic is None or may_manage(actor, topic)


@policy("moderation.queue")
def _moderation_queue(actor, **_):
    """Anyone who manages at least one community."""
    return actor is not None and bool(managed_communities(actor))


@policy("deliberation_settings.manage")
def _settings_manage(actor, community_id: int | None = None, **_):
    """The community's committee, or street/district admins over it."""
    return actor is not None and community_id is not None and community_id in managed_communities(actor)


def _topic_photo_visible(actor: Actor, topic_id: int) -> bool:
    """A photo attached to a topic is seen by whoever sees the topic."""
    return _topic(topic_id) is not None and allowed("topic.view", actor, topic_id=topic_id)


def _topic_photo_managed(actor: Actor, topic_id: int) -> bool:
    """A photo the image check has not passed is seen (and decided) by the topic's managers."""
    return _topic(topic_id) is not None and allowed("topic.manage", actor, topic_id=topic_id)


register_attachment_viewer("topic", _topic_photo_visible, _topic_photo_managed)
