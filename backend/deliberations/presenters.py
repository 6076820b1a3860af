"""Shape topics, ballots, results and comments for responses, applying who-may-see-what."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from backend.accounts.models import User
from backend.core.db import rows_by_id, utcnow
from backend.core.policies import Actor, allowed
from backend.deliberations import ballots, comments, moderation
from backend.deliberations.models import Comment, DeliberationSettings, Poll, Topic
from backend.deliberations.service import has_supported, is_response_overdue, may_manage, support_refusal
from backend.extensions import db
from backend.media.models import MediaFile


def _person(user) -> dict | None:
    return {"id": user.id, "nickname": user.nickname} if user is not None else None


def _percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def _photo(photo: MediaFile) -> dict:
    """A topic's photo: the links the app downloads it through, and where its image check stands."""
    return {"id": photo.id, "url": url_for("media.MediaContent", media_id=photo.id),
            "thumbnail_url": url_for("media.MediaThumbnail", media_id=photo.id), "screening": photo.screening}


def topic_summary(topic: Topic, now: datetime | None = None) -> dict:
    """A topic in a list."""
    poll = topic.poll
    return {"id": topic.id, "title": topic.title, "phase": topic.phase, "origin": topic.origin,
            "community_id": topic.community_id, "support_count": topic.support_count,
            "support_threshold": topic.support_threshold, "on_agenda": topic.on_agenda_at is not None,
            "opens_at": poll.opens_at if poll else None, "closes_at": poll.closes_at if poll else None,
            "outcome": poll.outcome if poll else None, "response_due_at": topic.response_due_at,
            "response_overdue": is_response_overdue(topic, now), "created_at": topic.created_at}


def topic_detail(topic: Topic, viewer: Actor, now: datetime | None = None) -> dict:
    """The topic page: text, photos, scope, supports, the ballot (counts only if visible), result, response."""
    now = now or utcnow()
    photos = db.session.scalars(sa.select(MediaFile).where(MediaFile.attached_type == "topic",
                                                           MediaFile.attached_id == topic.id).order_by(MediaFile.id))
    return {
        **topic_summary(topic, now),
        "body": topic.body, "community_name": topic.community.name, "screening": topic.screening,
        "proposer": _person(topic.proposer), "rejection_reason": topic.rejection_reason or None,
        "scope": {"whole_community": not topic.scoped,
                  "grid_ids": [s.grid_id for s in topic.scopes if not s.building],
                  "buildings": [{"grid_id": s.grid_id, "building": s.building} for s in topic.scopes if s.building]},
        "photos": [_photo(p) for p in photos if allowed("photo.view", viewer, media=p)],
        "on_agenda_at": topic.on_agenda_at, "reviewed_at": topic.reviewed_at, "closed_at": topic.closed_at,
        "comment_count": comments.comment_count(topic.id),
        "ballot": ballot_view(topic, topic.poll),
        "result": results(topic) if topic.poll is not None and topic.poll.tallied_at is not None else None,
        "response": response_view(topic, now),
        "viewer": viewer_view(topic, viewer),
    }


def ballot_view(topic: Topic, poll: Poll | None) -> dict | None:
    """The ballot's settings, and its option counts when they may be seen."""
    if poll is None:
        return None
    visible = ballots.counts_visible(topic, poll)
    counts, cast = _counts(topic, poll, visible)
    return {"type": poll.ballot_type, "max_choices": poll.max_choices, "per": poll.per,
            "quorum_percent": poll.quorum_percent, "pass_rule": poll.pass_rule,
            "hide_counts_until_close": poll.hide_counts, "fixed": poll.fixed_at is not None,
            "opens_at": poll.opens_at, "closes_at": poll.closes_at, "eligible": poll.eligible_count,
            "cast": cast, "counts_visible": visible,
            "options": [{"id": o.id, "label": o.label, "count": counts.get(o.id, 0) if visible else None,
                         "percent": _percent(counts.get(o.id, 0), cast) if visible else None}
                        for o in poll.options]}


def _counts(topic: Topic, poll: Poll, visible: bool) -> tuple[Counter, int | None]:
    """(votes per option id, ballots cast); sealed ballots are opened only when their counts will show."""
    if poll.tallied_at is not None:
        return Counter({o.id: o.votes or 0 for o in poll.options}), poll.cast_count
    if topic.phase == "voting":
        return ballots.live_counts(topic.id) if visible else (Counter(), ballots.cast_so_far(topic.id))
    return Counter(), None


def results(topic: Topic) -> dict:
    """Results page data: counts and percentages, turnout, quorum, outcome, chain hash, and the response."""
    poll = topic.poll
    final = poll.tallied_at is not None
    visible = ballots.counts_visible(topic, poll)
    counts, cast = _counts(topic, poll, visible)
    eligible = poll.eligible_count
    winners = set(poll.winner_ids or [])
    return {
        "topic_id": topic.id, "phase": topic.phase, "final": final, "counts_hidden": not visible,
        "ballot_type": poll.ballot_type, "per": poll.per, "pass_rule": poll.pass_rule,
        "quorum_percent": poll.quorum_percent, "opens_at": poll.opens_at, "closes_at": poll.closes_at,
        "eligible": eligible, "cast": cast,
        "turnout_percent": _percent(cast, eligible) if cast is not None and eligible else None,
        "quorum_met": poll.quorum_met, "outcome": poll.outcome,
        "options": [{"id": o.id, "label": o.label, "count": counts.get(o.id, 0) if visible else None,
                     "percent": _percent(counts.get(o.id, 0), cast or 0) if visible else None,
                     "winner": o.id in winners} for o in poll.options],
        "chain_hash": poll.chain_hash, "ballots_counted": poll.cast_count if final else None,
        "tallied_at": poll.tallied_at, "closed_at": topic.closed_at,
        "response": response_view(topic),
    }


def response_view(topic: Topic, now: datetime | None = None) -> dict | None:
    """The committee's response, or when it is due (and whether it is late)."""
    if topic.phase != "closed":
        return None
    return {"text": topic.response or None, "responded_at": topic.responded_at, "due_at": topic.response_due_at,
            "overdue": is_response_overdue(topic, now)}


def viewer_view(topic: Topic, viewer: Actor) -> dict:
    """What the viewer may do here and has done (voted: from `voters` only, never what)."""
    poll = topic.poll
    member = viewer.home
    voted, household_voted = (False, False)
    vote_refusal = None
    if poll is not None and poll.fixed_at is not None:
        per_household = poll.per == "household"
        voted, household_voted = ballots.voting_status(topic.id, viewer.user_id,
                                                       member.household_id if member and per_household else None)
        refusal = ballots.window_refusal(topic, poll, utcnow()) or ballots.voter_refusal(topic, poll, member)
        vote_refusal = refusal.reason if refusal else ("already_voted" if voted else
                                                      "household_already_voted" if household_voted else None)
    support = support_refusal(viewer, topic)
    supported = has_supported(topic.id, viewer.user_id)
    return {"is_proposer": topic.proposer_id == viewer.user_id, "can_manage": may_manage(viewer, topic),
            "supported": supported,
            "can_support": support is None and not supported,
            "support_refusal": "already_supported" if supported else (support.reason if support else None),
            "voted": voted, "household_voted": household_voted,
            "can_vote": poll is not None and poll.fixed_at is not None and vote_refusal is None,
            "vote_refusal": vote_refusal}


def receipt_view(checked: ballots.CheckedReceipt, topic: Topic) -> dict:
    labels = {o.id: o.label for o in topic.poll.options}
    return {"topic_id": topic.id, "counted": True, "final": checked.final,
            "choices": [{"id": option_id, "label": labels.get(option_id, "")} for option_id in checked.option_ids],
            "receipt_hash": checked.receipt_hash, "chain_hash": checked.chain_hash}


def published_ballot(ballot) -> dict:
    return {"receipt_hash": ballot.receipt_hash, "option_ids": ballots.option_ids_of(ballot.choices),
            "chain_hash": ballot.chain_hash}


# --- comments -----------------------------------------------------------------------------------

def comment_view(comment: Comment, viewer: Actor, moderator: bool, replies: list[Comment] | None = None) -> dict:
    """A comment; a hidden or deleted one is a placeholder for everyone but moderators."""
    shown = comment.status in ("visible", "held") or moderator
    view = {"id": comment.id, "topic_id": comment.topic_id, "parent_id": comment.parent_id,
            "status": comment.status, "body": comment.body if shown else "",
            "stance": comment.stance if shown else None,
            "author": _person(comment.author) if shown else None,
            "mine": comment.author_id == viewer.user_id, "pinned": comment.pinned_at is not None,
            "locked": comment.locked_at is not None, "edited": comment.edited_at is not None,
            "report_count": comment.report_count if moderator else None,
            "created_at": comment.created_at, "edited_at": comment.edited_at}
    if replies is not None:
        view["replies"] = [comment_view(r, viewer, moderator) for r in replies]
    return view


def threads(page: list[Comment], topic: Topic, viewer: Actor) -> list[dict]:
    """A page of top-level comments, each with its replies."""
    moderator = may_manage(viewer, topic)
    replies = comments.replies_to(viewer, topic, [c.id for c in page])
    return [comment_view(c, viewer, moderator, replies[c.id]) for c in page]


def single_comment(comment: Comment, viewer: Actor) -> dict:
    topic = db.session.get(Topic, comment.topic_id)
    return comment_view(comment, viewer, may_manage(viewer, topic))


def queue(page: list, viewer: Actor) -> list[dict]:
    """Moderation queue items in the page's order: a comment in full with its open reports by reason, or
    a held photo with its uploader; each with its topic's title and community."""
    comment_ids = [row.id for row in page if row.kind == "comment"]
    comments_held = rows_by_id(Comment, comment_ids)
    photos_held = rows_by_id(MediaFile, [row.id for row in page if row.kind == "photo"])
    topic_ids = [c.topic_id for c in comments_held.values()] + [p.attached_id for p in photos_held.values()]
    topics = rows_by_id(Topic, topic_ids)
    uploaders = rows_by_id(User, {p.owner_id for p in photos_held.values()})
    reports = moderation.open_reports(comment_ids)
    items = []
    for kind, item_id in page:
        if kind == "comment":
            comment = comments_held[item_id]
            topic = topics[comment.topic_id]
            item = {"comment": comment_view(comment, viewer, True), "reports": reports[item_id]}
        else:
            photo = photos_held[item_id]
            topic = topics[photo.attached_id]
            item = {"photo": {**_photo(photo), "topic_id": topic.id, "uploader": _person(uploaders[photo.owner_id]),
                              "uploaded_at": photo.created_at}}
        items.append({"kind": kind, **item, "topic_title": topic.title, "community_id": topic.community_id})
    return items


def settings(stored: DeliberationSettings) -> dict:
    return {"community_id": stored.community_id, "support_count": stored.support_count,
            "support_percent": stored.support_percent, "response_days": stored.response_days}
