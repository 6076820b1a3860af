"""Who hears about a case's progress, and how: every message goes through `notify(..., dedupe_key=...)`.

Keys name the case, the step and the recipient, so a job that runs twice notifies once. Residents
(the reporter and followers) are sent to the resident case page; staff to the worker task page.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.cases.models import Case, CaseFollower
from backend.core.db import utcnow
from backend.grids.service import local_tz
from backend.notifications.service import notify
from backend.extensions import db

RESIDENT_PAGE = "pages/cases/detail/detail?id={id}"
WORKER_PAGE = "worker/pages/task/task?id={id}"

# Notification kinds (the keys of WECHAT_TEMPLATES for subscribe messages).
PROGRESS = "case_progress"      # to the reporter and followers: assigned, accepted, resolved, closed, cancelled
ASSIGNED = "case_assigned"      # to the new assignee
ESCALATED = "case_escalated"    # to the leader / committee / street at the new level (督办)
REOPENED = "case_reopened"      # to the assignee: the resident says it is not fixed
WITHDRAWN = "case_withdrawn"    # to a former assignee: timed out, reassigned, or cancelled by the resident
FEEDBACK = "case_feedback"      # to the assignee: confirmed, rated
WORKER_AWAY = "case_worker_away"  # to the worker and their grid leaders: three missed accept deadlines in a row
UNROUTED = "case_unrouted"      # to the community committee: nobody could be found to take the case


def _message(case: Case, status: str, note: str = "") -> dict:
    """Values subscribe-message templates may refer to: title, status, time, note, address, case_id."""
    return {"title": case.category.name, "status": status, "note": note or case.description,
            "address": case.address or case.category.name, "case_id": case.id,
            "time": utcnow().astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")}


def tell_residents(case: Case, step: str, title: str, body: str, status: str, *, followers: bool = True,
                   reporter: bool = True) -> None:
    """Tell the reporter and (by default) every follower about a step of the case."""
    recipients = [case.reporter_id] if reporter else []
    if followers:
        recipients += db.session.scalars(sa.select(CaseFollower.user_id).where(CaseFollower.case_id == case.id)
                                         .order_by(CaseFollower.id)).all()
    for user_id in recipients:
        notify(user_id, PROGRESS, title, body, dedupe_key=f"case:{case.id}:{step}:u{user_id}",
               link=RESIDENT_PAGE.format(id=case.id), subject=("case", case.id), message=_message(case, status, body))


def tell_staff(user_id: int, kind: str, case: Case, step: str, title: str, body: str, status: str) -> None:
    """Tell one staff member about a case, linking to the worker task page."""
    notify(user_id, kind, title, body, dedupe_key=f"case:{case.id}:{step}:u{user_id}",
           link=WORKER_PAGE.format(id=case.id), subject=("case", case.id), message=_message(case, status, body))
