"""Shape cases for the caller: what each viewer may see, and what they may do next.

The reporter sees their own name; staff see the reporter's name and phone unless the report is
anonymous; followers never see who reported. Routing decisions and return reasons are staff-only.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from backend.accounts.models import User
from backend.cases import service, sla
from backend.cases.models import MAX_ESCALATION, OPEN_STATUSES, Case, CaseEvent, CaseFollower
from backend.cases.policies import sees_as_staff
from backend.cases.routing import ROLE_NAMES, display_name
from backend.core.db import rows_by_id, utcnow
from backend.core.policies import Actor, allowed
from backend.extensions import db

ANONYMOUS = "匿名居民"


def case_summaries(cases: list[Case], viewer: Actor) -> list[dict]:
    """List items: no timeline, names loaded in one query."""
    now = utcnow()
    users = _users({c.assignee_id for c in cases})
    following = set(db.session.scalars(sa.select(CaseFollower.case_id).where(
        CaseFollower.case_id.in_([c.id for c in cases]), CaseFollower.user_id == viewer.user_id))) if cases else set()
    return [_summary(case, viewer, users, case.id in following, now) for case in cases]


def case_detail(case: Case, viewer: Actor) -> dict:
    """One case as the viewer may see it, with its timeline and the viewer's possible actions."""
    now = utcnow()
    staff = sees_as_staff(viewer, case)
    events = service.timeline(case.id)
    users = _users({case.assignee_id, case.reporter_id} | {e.actor_id for e in events})
    following = db.session.scalar(sa.select(CaseFollower.id).where(
        CaseFollower.case_id == case.id, CaseFollower.user_id == viewer.user_id)) is not None
    detail = _summary(case, viewer, users, following, now)
    detail.update(
        reporter=_reporter(case, viewer, users.get(case.reporter_id), staff),
        photos=[_photo(media_id) for media_id in case.photo_ids],
        follower_count=service.follower_count(case.id),
        assigned_at=case.assigned_at, accepted_at=case.accepted_at, resolved_at=case.resolved_at,
        confirm_due_at=case.confirm_due_at, closed_at=case.closed_at, cancelled_at=case.cancelled_at,
        reopen_count=case.reopen_count,
        rating=({"score": case.rating, "comment": case.rating_comment, "rated_at": case.rated_at}
                if case.rating is not None else None),
        actions=actions(case, viewer, following, now),
        timeline=[_event(e, case, viewer, users, staff) for e in events])
    return detail


def actions(case: Case, viewer: Actor, following: bool, now) -> list[str]:
    """The actions the viewer may take on the case now (the mini-program shows these buttons)."""
    found = []
    if allowed("case.handle", viewer, case=case):
        found += {"assigned": ["accept", "return"], "accepted": ["start", "return"],
                  "in_progress": ["resolve"]}.get(case.status, [])
    if case.reporter_id == viewer.user_id:
        if case.status in ("submitted", "assigned"):
            found.append("cancel")
        if case.status == "resolved" and (case.confirm_due_at is None or case.confirm_due_at > now):
            found += ["confirm", "reopen"]
        if case.status == "closed" and case.rating is None:
            found.append("rate")
    elif case.status in OPEN_STATUSES and not sees_as_staff(viewer, case):
        found.append("unfollow" if following else "follow")
    if case.status in OPEN_STATUSES and allowed("case.supervise", viewer, case=case):
        found.append("reassign")
        if case.escalation_level < MAX_ESCALATION:
            found.append("escalate")
    return found


def _summary(case: Case, viewer: Actor, users: dict[int, User], following: bool, now) -> dict:
    category = case.category
    assignee = users.get(case.assignee_id)
    return {
        "id": case.id, "kind": case.kind,
        "category": {"code": category.code, "name": category.name,
                     "group_name": category.parent.name if category.parent else "", "urgent": category.urgent},
        "status": case.status, "status_text": service.STATUS_TEXT[case.status], "description": case.description,
        "address": case.address, "lat": case.lat, "lng": case.lng, "anonymous": case.anonymous,
        "grid": {"id": case.grid.id, "code": case.grid.code, "name": case.grid.name} if case.grid else None,
        "community": {"id": case.community.id, "code": case.community.code, "name": case.community.name},
        "assignee": ({"id": assignee.id, "name": display_name(assignee), "role": case.assignee_role,
                      "role_text": ROLE_NAMES.get(case.assignee_role), "phone": None} if assignee else None),
        "escalation_level": case.escalation_level, "overdue": sla.is_overdue(case, now),
        "mine": case.reporter_id == viewer.user_id, "following": following,
        "thumbnail_url": url_for("media.MediaThumbnail", media_id=case.photo_ids[0]) if case.photo_ids else None,
        "created_at": case.created_at, "updated_at": case.updated_at, "accept_due_at": case.accept_due_at,
        "resolve_due_at": case.resolve_due_at,
    }


def _reporter(case: Case, viewer: Actor, user: User | None, staff: bool) -> dict | None:
    if user is None:
        return None
    if case.reporter_id == viewer.user_id or (staff and not case.anonymous):
        return {"id": user.id, "name": display_name(user), "role": "resident", "role_text": "居民",
                "phone": user.phone}
    return None


def _event(event: CaseEvent, case: Case, viewer: Actor, users: dict[int, User], staff: bool) -> dict:
    user = users.get(event.actor_id)
    actor = None
    if user is not None and event.actor_role == "resident":
        if event.actor_id == viewer.user_id or (staff and not case.anonymous):
            actor = {"id": user.id, "name": display_name(user), "role": "resident", "role_text": "居民", "phone": None}
        else:
            actor = {"id": None, "name": ANONYMOUS if case.anonymous else "居民", "role": "resident",
                     "role_text": "居民", "phone": None}
    elif user is not None:
        actor = {"id": user.id, "name": display_name(user), "role": event.actor_role,
                 "role_text": ROLE_NAMES.get(event.actor_role), "phone": None}
    # A resident's own words (a reopen reason, a rating comment) are for staff, not for followers.
    note = event.note
    if event.actor_role == "resident" and not staff and event.actor_id != viewer.user_id:
        note = ""
    return {"id": event.id, "kind": event.kind, "text": event.text, "note": note, "from_status": event.from_status,
            "to_status": event.to_status, "actor": actor, "photos": [_photo(m) for m in event.photo_ids],
            "created_at": event.created_at, "decision": event.data if staff and event.data else None}


def _photo(media_id: int) -> dict:
    return {"id": media_id, "url": url_for("media.MediaContent", media_id=media_id),
            "thumbnail_url": url_for("media.MediaThumbnail", media_id=media_id)}


def _users(ids) -> dict[int, User]:
    return rows_by_id(User, (i for i in ids if i is not None))
