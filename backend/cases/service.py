"""Case rules — every state change of a case goes through here.

Each transition is a conditional UPDATE on the case's current status (and, where it matters, its
assignment attempt): when the row no longer matches, the request lost a race or came too late, and
it is 409 `invalid_transition` with nothing written. Functions called by routes commit; the ones
called by jobs and sweeps (`route`, `expire_acceptance`, `escalate_overdue`, `auto_close`) do not,
so the outbox runner commits their work together with the job's done mark.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.cases import jobs, notices, routing, sla
from backend.cases.catalogue import selectable_category
from backend.cases.models import (MAX_ESCALATION, OPEN_STATUSES, Case, CaseAssignment, CaseEvent, CaseFollower,
                                  CaseWorkerStatus)
from backend.cases.policies import covers_case
from backend.cases.routing import ROLE_NAMES, display_name
from backend.core.auth import load_actor
from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, InvalidTransition, NotFound, Unprocessable
from backend.core.jobs import enqueue
from backend.core.policies import Actor, allowed, authorize
from backend.extensions import db
from backend.grids.models import Grid
from backend.media.models import MediaFile

STATUS_TEXT = {"submitted": "已提交", "assigned": "已派单", "accepted": "已受理", "in_progress": "处理中",
               "resolved": "待确认", "closed": "已结案", "cancelled": "已撤销"}
KIND_TEXT = {"incident": "事件", "service": "服务申请"}
RETURN_REASONS = {"not_my_grid": "不属于本网格", "needs_other_skill": "需要其他专业人员", "other": "其他原因"}
MISSES_BEFORE_AWAY = 3
METRES_PER_DEGREE = 111_320.0


# --- reading ------------------------------------------------------------------------------------

def visible_case(actor: Actor | None, case_id: int) -> Case:
    """The case, if the actor may see it; 404 otherwise, whether or not it exists."""
    case = db.session.get(Case, case_id)
    if case is None or not allowed("case.view", actor, case=case):
        raise NotFound("工单不存在", reason="case_not_found")
    return case


def timeline(case_id: int) -> list[CaseEvent]:
    return list(db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id)
                                   .order_by(CaseEvent.created_at, CaseEvent.id)))


def follower_count(case_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(CaseFollower.id)).where(CaseFollower.case_id == case_id))


# --- submitting ---------------------------------------------------------------------------------

def submit_case(actor: Actor, data: dict, *, now: datetime | None = None) -> Case:
    """File an incident or a service request; routing is queued in the same transaction."""
    now = now or utcnow()
    category = selectable_category(data["category_code"])
    if data["kind"] != category.kind:
        raise _invalid("kind", "事项类型与分类不符", "kind_mismatch")
    lat, lng = data.get("lat"), data.get("lng")
    if category.requires_location and lat is None:
        raise _invalid("lat", "请选择事发位置", "location_required")
    if data["anonymous"] and not category.allows_anonymous:
        raise _invalid("anonymous", "该类事项不能匿名提交", "anonymous_not_allowed")
    photo_ids = list(dict.fromkeys(data["photo_ids"]))
    if category.requires_photo and not photo_ids:
        raise _invalid("photo_ids", "该类事项请至少上传一张照片", "photo_required")
    _check_submit_rate(actor.user_id, now)
    grid = _grid_for_submission(actor.user_id, lat, lng)
    resolve_due = sla.resolve_deadline(category, now)
    case = Case(kind=category.kind, category_id=category.id, status="submitted", reporter_id=actor.user_id,
                anonymous=data["anonymous"], description=data["description"], address=data["address"],
                lat=lat, lng=lng, photo_ids=photo_ids, grid_id=grid.id, community_id=grid.community_id,
                resolve_due_at=resolve_due, next_escalation_at=resolve_due, created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    _attach_photos(photo_ids, actor.user_id, case.id)
    _event(case, "submitted", f"居民提交了{KIND_TEXT[case.kind]}：{category.name}", actor_id=actor.user_id,
           actor_role="resident", to_status="submitted", photo_ids=photo_ids, at=now)
    enqueue(jobs.route_case, case.id)
    enqueue(jobs.check_resolve_deadline, case.id, 0, delay=resolve_due - now)
    db.session.commit()
    return case


def _grid_for_submission(user_id: int, lat: float | None, lng: float | None) -> Grid:
    """The grid the case is in (from its point, else the reporter's household), or 422."""
    if lat is not None:
        grid = routing.grid_at(lat, lng)
        if grid is None:
            raise _invalid("lat", "该位置不在本区网格范围内", "outside_district")
        return grid
    grid = routing.household_grid(user_id)
    if grid is None:
        raise _invalid("lat", "请选择服务地点，或先加入所在住户", "location_required")
    return grid


def _check_submit_rate(user_id: int, now: datetime) -> None:
    limit = current_app.config["CASES_PER_HOUR"]
    recent = db.session.scalar(sa.select(sa.func.count(Case.id)).where(
        Case.reporter_id == user_id, Case.created_at > now - timedelta(hours=1)))
    if recent >= limit:
        raise DomainError("提交太频繁，请稍后再试", reason="too_many_cases", status=429, headers={"Retry-After": "600"})


def _attach_photos(photo_ids: list[int], owner_id: int, case_id: int) -> None:
    """Attach the uploader's own, not yet attached photos to the case; any other id refuses them all."""
    if not photo_ids:
        return
    attached = db.session.execute(
        sa.update(MediaFile).where(MediaFile.id.in_(photo_ids), MediaFile.owner_id == owner_id,
                                   MediaFile.attached_type.is_(None))
        .values(attached_type="case", attached_id=case_id).execution_options(synchronize_session=False)).rowcount
    if attached != len(photo_ids):
        db.session.rollback()
        raise _invalid("photo_ids", "照片不存在、不是您上传的或已被使用，请重新上传", "invalid_photos")


def _invalid(field: str, message: str, reason: str) -> Unprocessable:
    db.session.rollback()
    return Unprocessable(message, reason=reason, errors={"json": {field: [message]}})


# --- nearby and following -----------------------------------------------------------------------

def nearby_cases(actor: Actor, category_code: str, lat: float, lng: float, limit: int = 20) -> list[dict]:
    """Open cases of the same category within its dedup radius, other people's, nearest first.

    Anonymised for the caller: no description, names or phones, and the point rounded to 0.001°
    (about 100 m); the distance is measured to the rounded point, so it reveals nothing more.
    """
    category = selectable_category(category_code)
    radius = category.dedup_radius_m
    if radius <= 0:
        return []
    dlat = radius / METRES_PER_DEGREE
    dlng = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    rows = db.session.execute(
        sa.select(Case.id, Case.status, Case.lat, Case.lng, Case.created_at)
        .where(Case.category_id == category.id, Case.status.in_(OPEN_STATUSES), Case.reporter_id != actor.user_id,
               Case.lat.between(lat - dlat, lat + dlat), Case.lng.between(lng - dlng, lng + dlng))
        .order_by(Case.id.desc()).limit(500)).all()
    near = sorted((distance_m(lat, lng, row.lat, row.lng), row) for row in rows)
    near = [(d, row) for d, row in near if d <= radius][:limit]
    ids = [row.id for _, row in near]
    followers = dict(db.session.execute(sa.select(CaseFollower.case_id, sa.func.count(CaseFollower.id))
                                        .where(CaseFollower.case_id.in_(ids)).group_by(CaseFollower.case_id)).all())
    mine = set(db.session.scalars(sa.select(CaseFollower.case_id).where(
        CaseFollower.case_id.in_(ids), CaseFollower.user_id == actor.user_id)))
    result = []
    for _, row in near:
        rlat, rlng = round(row.lat, 3), round(row.lng, 3)
        result.append({"id": row.id, "category_code": category.code, "category_name": category.name,
                       "status": row.status, "status_text": STATUS_TEXT[row.status], "lat": rlat, "lng": rlng,
                       "distance_m": int(round(distance_m(lat, lng, rlat, rlng) / 10) * 10),
                       "created_at": row.created_at, "follower_count": followers.get(row.id, 0),
                       "following": row.id in mine})
    return result


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


def follow_case(actor: Actor, case_id: int) -> Case:
    """Join an open case as a follower ("我也遇到"); following again is harmless."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("工单不存在", reason="case_not_found")
    authorize("case.follow", actor, case=case)
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition("该工单已办结或撤销，请重新提交")
    try:
        with db.session.begin_nested():
            db.session.add(CaseFollower(case_id=case.id, user_id=actor.user_id))
    except IntegrityError:
        pass  # already following
    db.session.commit()
    return case


def unfollow_case(actor: Actor, case_id: int) -> None:
    """Stop following a case."""
    removed = db.session.execute(sa.delete(CaseFollower).where(CaseFollower.case_id == case_id,
                                                              CaseFollower.user_id == actor.user_id)).rowcount
    if not removed:
        db.session.rollback()
        raise NotFound("您没有关注这个工单", reason="not_following")
    db.session.commit()


# --- routing (job) ------------------------------------------------------------------------------

def route(case_id: int, now: datetime | None = None) -> bool:
    """Assign a submitted case by the routing rules; True when it assigned it or recorded why it could not.

    The routing job runs it once per submission, the sweep again for a case nobody could take: a run
    that finds the case assigned writes nothing, one that finds nobody for the same reasons as last time
    only when to try again.
    """
    case = db.session.get(Case, case_id)
    if case is None or case.status != "submitted":
        return False
    now = now or utcnow()
    decision = routing.decide(case, now)
    place = dict(grid_id=decision.grid.id if decision.grid else None,
                 community_id=decision.community_id or case.community_id)
    chosen = decision.chosen
    if chosen is None:
        return _record_unrouted(case, decision, place, now)
    attempt = case.attempt + 1
    accept_due = sla.accept_deadline(case.category, now)
    if not _claim(case, ("submitted",), attempt, chosen.user_id, chosen.role, now, accept_due, **place):
        return False  # another run of this job assigned it first
    db.session.add(CaseAssignment(case_id=case.id, attempt=attempt, assignee_id=chosen.user_id, role=chosen.role,
                                  rule=decision.rule, assigned_at=now, accept_due_at=accept_due))
    text = f"已派单给{ROLE_NAMES[chosen.role]}{chosen.name}"
    _event(case, "assigned", text, to_status="assigned", from_status="submitted", data=decision.as_data(), at=now)
    _after_assignment(case, attempt, chosen.user_id, accept_due, now)
    return True


def _record_unrouted(case: Case, decision: routing.RoutingDecision, place: dict, now: datetime) -> bool:
    """Nobody can take the case: set when to retry; say why on the timeline when that is news; tell the committee once.

    Nothing is written when the case was assigned meanwhile (by a supervisor, or another run of the job).
    """
    data = decision.as_data()
    retry_at = now + timedelta(seconds=current_app.config["ROUTING_RETRY_AFTER"])
    last = db.session.scalar(sa.select(CaseEvent).where(
        CaseEvent.case_id == case.id, sa.or_(CaseEvent.kind == "unassigned", CaseEvent.to_status == "submitted"))
        .order_by(CaseEvent.id.desc()).limit(1))
    retried = last is not None and last.kind == "unassigned"
    news = not (retried and routing.same_outcome(last.data, data))
    # A retry that learns nothing new is not something that happened to the case: only the next retry moves.
    values = dict(updated_at=now, **place) if news else {}
    recorded = db.session.execute(sa.update(Case).where(Case.id == case.id, Case.status == "submitted",
                                                        Case.attempt == case.attempt)
                                  .values(routing_retry_at=retry_at, **values)
                                  .execution_options(synchronize_session=False)).rowcount
    db.session.expire(case)
    if recorded != 1 or not news:
        return False
    _event(case, "unassigned", "再次派单，仍暂无可派单人员，等待人工派单" if retried else "暂无可派单人员，等待人工派单",
           data=data, at=now)
    for user_id, _role in sla.escalation_recipients(case, 2):
        notices.tell_staff(user_id, notices.UNROUTED, case, f"unrouted:{case.attempt}", "工单无人可派，请人工派单",
                           f"{case.category.name}：{decision.reason}", STATUS_TEXT["submitted"])
    return True


def _claim(case: Case, from_statuses: tuple[str, ...], attempt: int, assignee_id: int, role: str, now: datetime,
           accept_due: datetime, **values) -> bool:
    """The conditional update that assigns: only from the status and attempt this run saw."""
    claimed = db.session.execute(
        sa.update(Case).where(Case.id == case.id, Case.status.in_(from_statuses), Case.attempt == attempt - 1)
        .values(status="assigned", assignee_id=assignee_id, assignee_role=role, attempt=attempt, assigned_at=now,
                accept_due_at=accept_due, accepted_at=None, started_at=None, routing_retry_at=None, updated_at=now,
                **values)
        .execution_options(synchronize_session="evaluate")).rowcount
    return claimed == 1


def _after_assignment(case: Case, attempt: int, assignee_id: int, accept_due: datetime, now: datetime) -> None:
    # The resident reads the assignment on the timeline; they are told once it is accepted (WeChat's one-time
    # consents are too scarce to spend on every step).
    notices.tell_staff(assignee_id, notices.ASSIGNED, case, f"assigned:{attempt}", "您有新的工单",
                       f"{case.category.name}：{case.description[:60]}", STATUS_TEXT["assigned"])
    enqueue(jobs.check_accept_deadline, case.id, attempt, delay=accept_due - now)


# --- the assignee's actions ---------------------------------------------------------------------

def accept_case(actor: Actor, case_id: int, *, now: datetime | None = None) -> Case:
    """The assignee takes the task — 受理."""
    case, now = _case_for("case.handle", actor, case_id, ("assigned",)), now or utcnow()
    _move(case, ("assigned",), "accepted", now, Case.assignee_id == actor.user_id, Case.attempt == case.attempt,
          accepted_at=now)
    db.session.execute(sa.update(CaseAssignment).where(CaseAssignment.case_id == case.id,
                                                       CaseAssignment.attempt == case.attempt).values(accepted_at=now))
    _mark_responsive(actor.user_id, now)
    text = f"{ROLE_NAMES[case.assignee_role]}{_name(actor.user_id)}已受理"
    _event(case, "accepted", text, actor_id=actor.user_id, actor_role=case.assignee_role, from_status="assigned",
           to_status="accepted", at=now)
    notices.tell_residents(case, "accepted", "您反映的问题已受理", text, STATUS_TEXT["accepted"])
    db.session.commit()
    return case


def return_case(actor: Actor, case_id: int, reason: str, note: str, *, now: datetime | None = None) -> Case:
    """The assignee hands the task back (not my grid, needs another skill); it is routed again without them."""
    case, now = _case_for("case.handle", actor, case_id, ("assigned", "accepted")), now or utcnow()
    from_status, attempt, role = case.status, case.attempt, case.assignee_role
    _move(case, ("assigned", "accepted"), "submitted", now, Case.assignee_id == actor.user_id,
          Case.attempt == attempt, **_UNASSIGNED)
    _end_assignment(case.id, attempt, "returned", now)
    _event(case, "returned", f"{ROLE_NAMES[role]}{_name(actor.user_id)}退回了工单（{RETURN_REASONS[reason]}），正在重新派单",
           actor_id=actor.user_id, actor_role=role, from_status=from_status, to_status="submitted",
           data={"reason": reason, "note": note}, at=now)
    enqueue(jobs.route_case, case.id)
    db.session.commit()
    return case


def start_case(actor: Actor, case_id: int, *, now: datetime | None = None) -> Case:
    """The assignee starts the work — 开始处理."""
    case, now = _case_for("case.handle", actor, case_id, ("accepted",)), now or utcnow()
    _move(case, ("accepted",), "in_progress", now, Case.assignee_id == actor.user_id, started_at=now)
    _event(case, "started", f"{ROLE_NAMES[case.assignee_role]}{_name(actor.user_id)}开始处理", actor_id=actor.user_id,
           actor_role=case.assignee_role, from_status="accepted", to_status="in_progress", at=now)
    db.session.commit()
    return case


def resolve_case(actor: Actor, case_id: int, note: str, photo_ids: list[int], *,
                 now: datetime | None = None) -> Case:
    """The assignee reports the work done — 办结 — with after-photos (at least one for an incident)."""
    case, now = _case_for("case.handle", actor, case_id, ("in_progress",)), now or utcnow()
    photo_ids = list(dict.fromkeys(photo_ids))
    if case.kind == "incident" and not photo_ids:
        raise _invalid("photo_ids", "请上传至少一张处理后的照片", "after_photo_required")
    _move(case, ("in_progress",), "resolved", now, Case.assignee_id == actor.user_id, resolved_at=now,
          first_resolved_at=case.first_resolved_at or now, confirm_due_at=now + sla.CONFIRM_WINDOW,
          next_escalation_at=None)
    _attach_photos(photo_ids, actor.user_id, case.id)
    text = f"{ROLE_NAMES[case.assignee_role]}{_name(actor.user_id)}已处理完毕，请确认是否解决"
    _event(case, "resolved", text, actor_id=actor.user_id, actor_role=case.assignee_role, from_status="in_progress",
           to_status="resolved", note=note, photo_ids=photo_ids, at=now)
    notices.tell_residents(case, f"resolved:{case.reopen_count}", "您反映的问题已处理", "请在 7 天内确认是否解决",
                           STATUS_TEXT["resolved"])
    enqueue(jobs.check_confirmation, case.id, delay=sla.CONFIRM_WINDOW)
    db.session.commit()
    return case


# --- the reporter's actions ---------------------------------------------------------------------

def cancel_case(actor: Actor, case_id: int, note: str, *, now: datetime | None = None) -> Case:
    """The reporter withdraws the case before anyone accepted it — 撤销."""
    case, now = _case_for("case.own", actor, case_id, ("submitted", "assigned")), now or utcnow()
    from_status, attempt, assignee_id = case.status, case.attempt, case.assignee_id
    _move(case, ("submitted", "assigned"), "cancelled", now, Case.attempt == attempt, cancelled_at=now,
          accept_due_at=None, next_escalation_at=None)
    if assignee_id is not None:
        _end_assignment(case.id, attempt, "cancelled", now)
        notices.tell_staff(assignee_id, notices.WITHDRAWN, case, "cancelled", "工单已撤销", "居民撤销了该工单，无需处理",
                           STATUS_TEXT["cancelled"])
    _event(case, "cancelled", "居民撤销了工单", actor_id=actor.user_id, actor_role="resident", from_status=from_status,
           to_status="cancelled", note=note, at=now)
    notices.tell_residents(case, "cancelled", "关注的问题已被撤销", "原反映人已撤销，如问题仍存在请重新反映",
                           STATUS_TEXT["cancelled"], reporter=False)
    db.session.commit()
    return case


def confirm_case(actor: Actor, case_id: int, *, now: datetime | None = None) -> Case:
    """The reporter confirms the problem is solved; the case closes — 确认办结."""
    case, now = _case_for("case.own", actor, case_id, ("resolved",)), now or utcnow()
    _move(case, ("resolved",), "closed", now, closed_at=now)
    _event(case, "confirmed", "居民确认问题已解决，工单已结案", actor_id=actor.user_id, actor_role="resident",
           from_status="resolved", to_status="closed", at=now)
    notices.tell_staff(case.assignee_id, notices.FEEDBACK, case, "confirmed", "居民已确认办结",
                       f"{case.category.name}：居民确认问题已解决", STATUS_TEXT["closed"])
    notices.tell_residents(case, "closed", "关注的问题已办结", "反映人已确认问题解决", STATUS_TEXT["closed"], reporter=False)
    db.session.commit()
    return case


def reopen_case(actor: Actor, case_id: int, note: str, *, now: datetime | None = None) -> Case:
    """The reporter says it is not fixed: back to the same assignee, and one escalation level up."""
    case, now = _case_for("case.own", actor, case_id, ("resolved",)), now or utcnow()
    if case.confirm_due_at is not None and case.confirm_due_at <= now:
        raise InvalidTransition("已超过 7 天确认期限，请重新提交")
    before = case.escalation_level
    level = min(before + 1, MAX_ESCALATION)
    _move(case, ("resolved",), "in_progress", now, Case.confirm_due_at > now, resolved_at=None, confirm_due_at=None,
          reopen_count=Case.reopen_count + 1, escalation_level=level,
          next_escalation_at=now + sla.escalation_step(case.category) if level < MAX_ESCALATION else None)
    text = f"居民反馈问题未解决，已退回{ROLE_NAMES[case.assignee_role]}{_name(case.assignee_id)}重新处理"
    if level > before:
        text += f"，并升级督办至{sla.LEVEL_NAMES[level]}"
    _event(case, "reopened", text, actor_id=actor.user_id, actor_role="resident", from_status="resolved",
           to_status="in_progress", note=note, data={"escalation_level": level}, at=now)
    notices.tell_staff(case.assignee_id, notices.REOPENED, case, f"reopened:{case.reopen_count}", "工单被退回重办",
                       f"居民反馈未解决：{note[:60]}", STATUS_TEXT["in_progress"])
    _tell_escalation(case, level, f"居民反馈未解决（第 {case.reopen_count} 次）")
    if before < level < MAX_ESCALATION:
        enqueue(jobs.check_resolve_deadline, case.id, level, delay=sla.escalation_step(case.category))
    db.session.commit()
    return case


def rate_case(actor: Actor, case_id: int, score: int, comment: str, *, now: datetime | None = None) -> Case:
    """The reporter rates a closed case 1–5 — 评价; once."""
    case, now = _case_for("case.own", actor, case_id, ("closed",)), now or utcnow()
    if case.rating is not None:
        raise Conflict("您已评价过该工单", reason="already_rated")
    rated = db.session.execute(sa.update(Case).where(Case.id == case.id, Case.status == "closed", Case.rating.is_(None))
                               .values(rating=score, rating_comment=comment, rated_at=now, updated_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    if rated != 1:
        db.session.rollback()
        raise Conflict("您已评价过该工单", reason="already_rated")
    db.session.expire(case)
    _event(case, "rated", f"居民评价：{score} 星", actor_id=actor.user_id, actor_role="resident", note=comment,
           data={"score": score}, at=now)
    notices.tell_staff(case.assignee_id, notices.FEEDBACK, case, "rated", "居民评价了您办理的工单",
                       f"{score} 星{('：' + comment[:60]) if comment else ''}", STATUS_TEXT["closed"])
    db.session.commit()
    return case


# --- supervisors' actions -----------------------------------------------------------------------

def reassign_case(actor: Actor, case_id: int, assignee_id: int, note: str, *,
                  now: datetime | None = None) -> Case:
    """A leader, the committee or an admin gives the case to someone else — 改派; they must accept it."""
    case, now = _case_for("case.supervise", actor, case_id, OPEN_STATUSES), now or utcnow()
    if assignee_id == case.assignee_id:
        raise _invalid("assignee_id", "该工单已由此人办理", "same_assignee")
    role = _role_for_case(load_actor(assignee_id), case)
    if role is None:
        raise _invalid("assignee_id", "只能改派给负责该网格或社区的工作人员", "invalid_assignee")
    from_status, attempt, previous = case.status, case.attempt + 1, case.assignee_id
    accept_due = sla.accept_deadline(case.category, now)
    if not _claim(case, OPEN_STATUSES, attempt, assignee_id, role, now, accept_due):
        db.session.rollback()
        raise InvalidTransition()
    if previous is not None:
        _end_assignment(case.id, attempt - 1, "reassigned", now)
        notices.tell_staff(previous, notices.WITHDRAWN, case, f"withdrawn:{attempt - 1}", "工单已改派",
                           "该工单已改派他人，无需继续处理", STATUS_TEXT["assigned"])
    db.session.add(CaseAssignment(case_id=case.id, attempt=attempt, assignee_id=assignee_id, role=role, rule="manual",
                                  assigned_at=now, accept_due_at=accept_due))
    by_role = _role_for_case(actor, case, supervising=True)
    text = f"{ROLE_NAMES[by_role]}{_name(actor.user_id)}改派给{ROLE_NAMES[role]}{_name(assignee_id)}"
    _event(case, "reassigned", text, actor_id=actor.user_id, actor_role=by_role, from_status=from_status,
           to_status="assigned", data={"note": note, "previous_assignee_id": previous, "rule": "manual"}, at=now)
    _after_assignment(case, attempt, assignee_id, accept_due, now)
    db.session.commit()
    return case


def escalate_case(actor: Actor, case_id: int, note: str, *, now: datetime | None = None) -> Case:
    """A supervisor raises the case one level by hand — 督办."""
    case, now = _case_for("case.supervise", actor, case_id, OPEN_STATUSES), now or utcnow()
    level = case.escalation_level + 1
    if level > MAX_ESCALATION:
        raise InvalidTransition("已是最高督办级别")
    _raise_level(case, level, now, Case.escalation_level == level - 1)
    by_role = _role_for_case(actor, case, supervising=True)
    _event(case, "escalated", f"{ROLE_NAMES[by_role]}{_name(actor.user_id)}督办，已升级至{sla.LEVEL_NAMES[level]}",
           actor_id=actor.user_id, actor_role=by_role, note=note, data={"escalation_level": level, "cause": "manual"},
           at=now)
    _tell_escalation(case, level, note or "上级督办")
    db.session.commit()
    return case


# --- SLA (jobs and sweeps; no commit) -----------------------------------------------------------

def expire_acceptance(case_id: int, attempt: int, now: datetime | None = None) -> bool:
    """Not accepted in time: count the miss against the assignee and route the case again."""
    now = now or utcnow()
    case = db.session.get(Case, case_id)
    if case is None or case.status != "assigned" or case.attempt != attempt or case.accept_due_at > now:
        return False
    worker_id, role = case.assignee_id, case.assignee_role
    moved = db.session.execute(
        sa.update(Case).where(Case.id == case.id, Case.status == "assigned", Case.attempt == attempt,
                              Case.accept_due_at <= now)
        .values(status="submitted", updated_at=now, **_UNASSIGNED).execution_options(synchronize_session=False)).rowcount
    db.session.expire(case)
    if moved != 1:
        return False
    _end_assignment(case.id, attempt, "accept_timeout", now)
    _event(case, "accept_timeout", f"{ROLE_NAMES[role]}{_name(worker_id)}未在时限内受理，正在重新派单",
           from_status="assigned", to_status="submitted", data={"assignee_id": worker_id, "attempt": attempt}, at=now)
    notices.tell_staff(worker_id, notices.WITHDRAWN, case, f"timeout:{attempt}", "工单超时未受理，已转派",
                       f"{case.category.name}：超过 {case.category.accept_minutes} 分钟未受理", STATUS_TEXT["submitted"])
    if _count_miss(worker_id, now):
        _tell_away(worker_id, case, now)
    enqueue(jobs.route_case, case.id)
    return True


def escalate_overdue(case_id: int, level_seen: int, now: datetime | None = None) -> bool:
    """Not resolved in time: climb one level (leader → committee → street) and tell that level."""
    now = now or utcnow()
    case = db.session.get(Case, case_id)
    if (case is None or case.status not in OPEN_STATUSES or case.escalation_level != level_seen
            or case.next_escalation_at is None or case.next_escalation_at > now):
        return False
    level = level_seen + 1
    if not _raise_level(case, level, now, Case.escalation_level == level_seen, Case.next_escalation_at <= now,
                        strict=False):
        return False
    _event(case, "escalated", f"超时未办结，已升级督办至{sla.LEVEL_NAMES[level]}",
           data={"escalation_level": level, "cause": "overdue"}, at=now)
    _tell_escalation(case, level, "超时未办结")
    return True


def auto_close(case_id: int, now: datetime | None = None) -> bool:
    """The reporter left a resolution unanswered for the whole window: close it."""
    now = now or utcnow()
    case = db.session.get(Case, case_id)
    if case is None or case.status != "resolved" or case.confirm_due_at > now:
        return False
    closed = db.session.execute(
        sa.update(Case).where(Case.id == case.id, Case.status == "resolved", Case.confirm_due_at <= now)
        .values(status="closed", closed_at=now, updated_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.expire(case)
    if closed != 1:
        return False
    _event(case, "auto_closed", "居民 7 天内未确认，系统自动结案", from_status="resolved", to_status="closed", at=now)
    notices.tell_residents(case, "closed", "您反映的问题已结案", "超过 7 天未确认，系统已自动结案，欢迎评价",
                           STATUS_TEXT["closed"])
    return True


def _raise_level(case: Case, level: int, now: datetime, *where, strict: bool = True) -> bool:
    step = sla.escalation_step(case.category)
    raised = db.session.execute(
        sa.update(Case).where(Case.id == case.id, Case.status.in_(OPEN_STATUSES), *where)
        .values(escalation_level=level, next_escalation_at=now + step if level < MAX_ESCALATION else None,
                updated_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.expire(case)
    if raised != 1:
        if strict:
            db.session.rollback()
            raise InvalidTransition()
        return False
    if level < MAX_ESCALATION:
        enqueue(jobs.check_resolve_deadline, case.id, level, delay=step)
    return True


def _tell_escalation(case: Case, level: int, why: str) -> None:
    for user_id, _role in sla.escalation_recipients(case, level):
        notices.tell_staff(user_id, notices.ESCALATED, case, f"escalated:{level}", f"督办：{case.category.name}",
                           f"{why}，请督促办理", STATUS_TEXT[case.status])


def _count_miss(user_id: int, now: datetime) -> bool:
    """Count a missed accept deadline; True when this miss marks the worker away."""
    counted = db.session.execute(sa.update(CaseWorkerStatus).where(CaseWorkerStatus.user_id == user_id)
                                 .values(missed_in_a_row=CaseWorkerStatus.missed_in_a_row + 1, updated_at=now)).rowcount
    if not counted:
        try:
            with db.session.begin_nested():
                db.session.add(CaseWorkerStatus(user_id=user_id, missed_in_a_row=1, updated_at=now))
        except IntegrityError:  # a concurrent miss created the row
            return _count_miss(user_id, now)
    return db.session.execute(sa.update(CaseWorkerStatus).where(
        CaseWorkerStatus.user_id == user_id, CaseWorkerStatus.missed_in_a_row >= MISSES_BEFORE_AWAY,
        CaseWorkerStatus.away_since.is_(None)).values(away_since=now)).rowcount == 1


def _tell_away(worker_id: int, case: Case, now: datetime) -> None:
    key = f"away:{now.isoformat(timespec='seconds')}"
    notices.tell_staff(worker_id, notices.WORKER_AWAY, case, key, "您已暂停接单",
                       f"连续 {MISSES_BEFORE_AWAY} 次超时未受理，系统已暂停向您派单；回到岗位后请在“我的状态”中恢复接单",
                       STATUS_TEXT["submitted"])
    for leader_id, _ in sla.escalation_recipients(case, 1):
        if leader_id != worker_id:
            notices.tell_staff(leader_id, notices.WORKER_AWAY, case, f"{key}:w{worker_id}", "网格员已暂停接单",
                               f"{_name(worker_id)}连续 {MISSES_BEFORE_AWAY} 次超时未受理，已暂停派单", STATUS_TEXT["submitted"])


def _mark_responsive(user_id: int, now: datetime) -> None:
    db.session.execute(sa.update(CaseWorkerStatus).where(CaseWorkerStatus.user_id == user_id)
                       .values(missed_in_a_row=0, away_since=None, updated_at=now))


# --- availability -------------------------------------------------------------------------------

def availability(user_id: int) -> dict:
    """A staff member's routing state: away or not, misses in a row, open tasks."""
    status = db.session.get(CaseWorkerStatus, user_id)
    open_cases = db.session.scalar(sa.select(sa.func.count(Case.id)).where(
        Case.assignee_id == user_id, Case.status.in_(routing.WORKING_STATUSES)))
    return {"away": bool(status and status.away_since), "away_since": status.away_since if status else None,
            "missed_in_a_row": status.missed_in_a_row if status else 0, "open_cases": open_cases}


def set_availability(user_id: int, away: bool) -> dict:
    """Say you are away (routing skips you) or back (misses forgotten)."""
    now = utcnow()
    status = db.session.get(CaseWorkerStatus, user_id)
    if status is None:
        status = CaseWorkerStatus(user_id=user_id, missed_in_a_row=0)
        db.session.add(status)
    status.away_since = (status.away_since or now) if away else None
    if not away:
        status.missed_in_a_row = 0
    status.updated_at = now
    db.session.commit()
    return availability(user_id)


# --- helpers ------------------------------------------------------------------------------------

_UNASSIGNED = dict(assignee_id=None, assignee_role=None, assigned_at=None, accept_due_at=None, accepted_at=None,
                   started_at=None)


def _case_for(policy_name: str, actor: Actor, case_id: int, statuses: tuple[str, ...]) -> Case:
    """The visible case the actor may act on under a policy, in one of `statuses` (else 404/403/409)."""
    case = visible_case(actor, case_id)
    authorize(policy_name, actor, case=case)
    if case.status not in statuses:
        raise InvalidTransition()
    return case


def _move(case: Case, from_statuses: tuple[str, ...], to_status: str, now: datetime, *where, **values) -> None:
    """Change the status with a conditional update; 409 and nothing written when the case moved meanwhile."""
    moved = db.session.execute(
        sa.update(Case).where(Case.id == case.id, Case.status.in_(from_statuses), *where)
        .values(status=to_status, updated_at=now, **values).execution_options(synchronize_session=False)).rowcount
    db.session.expire(case)
    if moved != 1:
        db.session.rollback()
        raise InvalidTransition()


def _end_assignment(case_id: int, attempt: int, reason: str, now: datetime) -> None:
    db.session.execute(sa.update(CaseAssignment).where(CaseAssignment.case_id == case_id,
                                                       CaseAssignment.attempt == attempt,
                                                       CaseAssignment.ended_at.is_(None))
                       .values(ended_at=now, end_reason=reason))


def _event(case: Case, kind: str, text: str, *, at: datetime, actor_id: int | None = None,
           actor_role: str | None = None, from_status: str | None = None, to_status: str | None = None,
           note: str = "", photo_ids: list[int] | None = None, data: dict | None = None) -> CaseEvent:
    event = CaseEvent(case_id=case.id, kind=kind, actor_id=actor_id, actor_role=actor_role, from_status=from_status,
                      to_status=to_status, text=text[:200], note=note, photo_ids=list(photo_ids or []),
                      data=data or {}, created_at=at)
    db.session.add(event)
    return event


def _name(user_id: int | None) -> str:
    return display_name(db.session.get(User, user_id)) if user_id else ""


def _role_for_case(actor: Actor | None, case: Case, supervising: bool = False) -> str | None:
    """The actor's most specific staff role over the case (a worker of its grid before its leader …)."""
    if actor is None:
        return None
    roles = ("grid_leader", "committee", "street_admin", "district_admin")
    if not supervising:
        roles = ("grid_worker",) + roles
    for role in roles:
        if covers_case(actor, case, (role,)):
            return role
    return None
