"""Sign-ups (报名): confirmed while places last, then a waitlist in strict order; a cancellation frees
the place and promotes the first waiting, once.

The database decides who gets a place: `UPDATE … SET confirmed = confirmed + 1 WHERE confirmed <
capacity` either changes the row or it does not, however many people tap at once. A full shift hands
out waitlist tickets from a per-shift counter with `UPDATE … SET waitlist_seq = waitlist_seq + 1 …
RETURNING`, which holds the shift row until commit, so tickets are 1, 2, 3 … with no gap (a rolled-back
sign-up rolls its ticket back too) and no duplicate (UNIQUE shift_id, waitlist_seq).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backend.accounts.models import User
from backend.accounts.service import age_on
from backend.core.db import utcnow
from backend.core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from backend.core.policies import Actor
from backend.extensions import db
from backend.grids.service import local_tz
from backend.notifications.service import notify
from backend.volunteering import jobs
from backend.volunteering.locking import lock_row, lock_volunteer
from backend.volunteering.models import Activity, Shift, ShiftSignup

REMINDERS = {"day": timedelta(hours=24), "hour": timedelta(hours=1)}
LIVE = ("confirmed", "waitlisted")


def activity_link(activity_id: int) -> str:
    """The resident's mini-program page of an activity."""
    return f"pages/volunteer/activity/activity?id={activity_id}"


def when_label(shift: Shift) -> str:
    """`11月30日 09:00–11:00` in local time, for message text."""
    tz = local_tz()
    start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    return f"{start.month}月{start.day}日 {start:%H:%M}–{end:%H:%M}"


def shift_message(shift: Shift, status: str) -> dict:
    """Values a subscribe-message template may use: `title`, `time` (a range, for thing fields),
    `start` (`2026年11月30日 09:00`, for time fields), `place`, `status`."""
    start = shift.starts_at.astimezone(local_tz())
    return {"title": shift.activity.title, "time": when_label(shift), "place": shift.place, "status": status,
            "start": f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}"}


def get_signup(signup_id: int) -> ShiftSignup:
    signup = db.session.get(ShiftSignup, signup_id)
    if signup is None:
        raise NotFound("报名记录不存在", reason="signup_not_found")
    return signup


def waitlist_position(signup: ShiftSignup) -> int | None:
    """1 for the first still waiting; None unless waitlisted."""
    if signup.status != "waitlisted":
        return None
    return db.session.scalar(sa.select(sa.func.count(ShiftSignup.id)).where(
        ShiftSignup.shift_id == signup.shift_id, ShiftSignup.status == "waitlisted",
        ShiftSignup.waitlist_seq <= signup.waitlist_seq))


def sign_up(actor: Actor, shift_id: int, now: datetime | None = None) -> ShiftSignup:
    """Sign a verified resident up for a shift: confirmed if a place is left, else waitlisted (when the
    shift has a waitlist), else 409 `shift_full`. Overlapping shifts and repeats are refused."""
    now = now or utcnow()
    user_id = actor.user_id
    if not actor.verified:  # loaded with the actor, no query of its own
        raise Forbidden("只有已认证的居民才能报名，请先通过社区邀请码加入住户", reason="not_verified")
    shift = db.session.get(Shift, shift_id, options=[joinedload(Shift.activity)])
    if shift is None or shift.activity.status == "draft":
        raise NotFound("班次不存在", reason="shift_not_found")
    if shift.activity.status == "cancelled" or shift.cancelled_at is not None:
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    if now >= shift.signup_deadline:
        raise Conflict("报名已截止", reason="signup_closed")
    if shift.min_age:
        _refuse_under_age(user_id, shift)
    lock_volunteer(user_id)  # from here on, this person's sign-ups are current and theirs alone to change
    _refuse_repeat_or_overlap(user_id, shift)
    status, ticket = _take_place_or_ticket(shift_id)
    signup = ShiftSignup(shift_id=shift_id, user_id=user_id, status=status, waitlist_seq=ticket,
                         confirmed_at=now if status == "confirmed" else None)
    db.session.add(signup)
    try:
        db.session.flush()
    except IntegrityError:  # the partial UNIQUE index: a backstop behind the check under the lock
        db.session.rollback()
        raise Conflict("您已报名该班次", reason="already_signed_up") from None
    if status == "confirmed":  # for the shift's time as it is now: an edit may have moved it meanwhile
        _plan_reminders(signup, db.session.get(Shift, shift_id, populate_existing=True), now)
    db.session.commit()
    return signup


def _refuse_under_age(user_id: int, shift: Shift) -> None:
    """A shift with a minimum age admits those who have reached it on the day the shift starts (local time)."""
    born = db.session.scalar(sa.select(User.birth_date).where(User.id == user_id))
    if born is None:
        raise Conflict(f"该班次要求年满 {shift.min_age} 周岁，请先在「我的」页面填写出生日期",
                       reason="birth_date_required")
    if age_on(born, shift.starts_at.astimezone(local_tz()).date()) < shift.min_age:
        raise Conflict(f"该班次要求年满 {shift.min_age} 周岁，您在活动当天还未满 {shift.min_age} 周岁",
                       reason="too_young")


def _refuse_repeat_or_overlap(user_id: int, shift: Shift) -> None:
    held = db.session.execute(
        sa.select(ShiftSignup.shift_id, Activity.title)
        .join(Shift, Shift.id == ShiftSignup.shift_id).join(Activity, Activity.id == Shift.activity_id)
        .where(ShiftSignup.user_id == user_id, ShiftSignup.status.in_(LIVE), Shift.cancelled_at.is_(None),
               Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at)
        .order_by(Shift.starts_at)).all()
    if any(shift_id == shift.id for shift_id, _ in held):
        db.session.rollback()
        raise Conflict("您已报名该班次", reason="already_signed_up")
    if held:
        db.session.rollback()
        raise Conflict(f"与您已报名的「{held[0].title}」时间冲突", reason="overlapping_shift")


def _take_place_or_ticket(shift_id: int) -> tuple[str, int | None]:
    """Take a place, or a waitlist ticket when the shift is full; both by conditional UPDATE."""
    live = Shift.cancelled_at.is_(None)
    for _ in range(20):
        took_place = db.session.execute(
            sa.update(Shift).where(Shift.id == shift_id, Shift.confirmed < Shift.capacity, live)
            .values(confirmed=Shift.confirmed + 1).execution_options(synchronize_session=False)).rowcount
        if took_place:
            return "confirmed", None
        ticket = db.session.scalar(
            sa.update(Shift).where(Shift.id == shift_id, Shift.confirmed >= Shift.capacity, Shift.waitlist_enabled, live)
            .values(waitlist_seq=Shift.waitlist_seq + 1).returning(Shift.waitlist_seq)
            .execution_options(synchronize_session=False))
        if ticket is not None:
            return "waitlisted", ticket
        shift = db.session.get(Shift, shift_id, populate_existing=True)
        if shift.cancelled_at is not None:
            db.session.rollback()
            raise InvalidTransition("活动已取消", reason="activity_cancelled")
        if not shift.waitlist_enabled and shift.confirmed >= shift.capacity:
            db.session.rollback()
            raise Conflict("该班次已报满", reason="shift_full")
        # A place was freed between the two updates: try for it again.
    db.session.rollback()
    raise Conflict("报名人数较多，请稍后重试", reason="busy")


def cancel_signup(signup_id: int, by_user_id: int, now: datetime | None = None) -> ShiftSignup:
    """Cancel a sign-up. A confirmed place goes to the first on the waitlist, who is told. After the
    cutoff it is still allowed, but counted as a late cancellation; after the start it is refused.
    Cancelling a cancelled sign-up changes nothing."""
    now = now or utcnow()
    shift_id = get_signup(signup_id).shift_id
    shift = lock_row(Shift, shift_id)  # every change to a shift's roster queues here
    signup = db.session.get(ShiftSignup, signup_id, populate_existing=True)
    if signup.status == "cancelled":
        db.session.rollback()
        return signup
    if now >= shift.starts_at:
        db.session.rollback()
        raise Conflict("班次已开始，不能再取消", reason="shift_started")
    if by_user_id != signup.user_id:
        kind = "removed"
    else:
        kind = "late" if now > shift.cancel_cutoff else "self"
    was = signup.status
    db.session.execute(sa.update(ShiftSignup).where(ShiftSignup.id == signup_id, ShiftSignup.status == was)
                       .values(status="cancelled", cancelled_at=now, cancel_kind=kind)
                       .execution_options(synchronize_session=False))
    if was == "confirmed":
        db.session.execute(sa.update(Shift).where(Shift.id == shift_id, Shift.confirmed > 0)
                           .values(confirmed=Shift.confirmed - 1).execution_options(synchronize_session=False))
        fill_free_places(db.session.get(Shift, shift_id, populate_existing=True), now)
    db.session.commit()
    return db.session.get(ShiftSignup, signup_id)


def fill_free_places(shift: Shift, now: datetime) -> list[int]:
    """Promote the first waitlisted into each free place (caller holds the shift's lock and commits).

    Each promotion is a conditional UPDATE from `waitlisted` to `confirmed`, so nobody is promoted
    twice however many cancellations run at once. Nobody is promoted once the shift has started.
    """
    if shift.cancelled_at is not None or now >= shift.starts_at:
        return []
    promoted = []
    free = shift.capacity - shift.confirmed
    while free > 0:
        candidate = db.session.execute(
            sa.select(ShiftSignup.id, ShiftSignup.user_id)
            .where(ShiftSignup.shift_id == shift.id, ShiftSignup.status == "waitlisted")
            .order_by(ShiftSignup.waitlist_seq).limit(1)).first()
        if candidate is None:
            break
        marks, due = _reminder_plan(shift, now)
        won = db.session.execute(
            sa.update(ShiftSignup).where(ShiftSignup.id == candidate.id, ShiftSignup.status == "waitlisted")
            .values(status="confirmed", confirmed_at=now, promoted_at=now, **marks)
            .execution_options(synchronize_session=False)).rowcount
        if not won:
            continue
        took = db.session.execute(
            sa.update(Shift).where(Shift.id == shift.id, Shift.confirmed < Shift.capacity)
            .values(confirmed=Shift.confirmed + 1).execution_options(synchronize_session=False)).rowcount
        if not took:  # cannot happen while the caller holds the shift's lock; never confirm without a place
            raise RuntimeError(f"shift {shift.id}: promoted without a free place")
        free -= 1
        promoted.append(candidate.id)
        _enqueue_reminders(candidate.id, shift, due)
        _tell_promoted(candidate.id, candidate.user_id, shift)
    return promoted


def _tell_promoted(signup_id: int, user_id: int, shift: Shift) -> None:
    activity = shift.activity
    notify(user_id, "volunteer_promoted", "候补成功，您已获得志愿岗位",
           f"「{activity.title}」{when_label(shift)} {shift.place}".strip(),
           dedupe_key=f"volunteer-promoted-{signup_id}", link=activity_link(activity.id),
           subject=("volunteer_signup", signup_id),
           message=shift_message(shift, "已确认"))


# --- reminders ----------------------------------------------------------------------------------

def _reminder_plan(shift: Shift, now: datetime) -> tuple[dict, list[tuple[str, datetime]]]:
    """Which reminders to schedule (with their times) and which are already moot (marked done)."""
    marks, due = {}, []
    for which, lead in REMINDERS.items():
        at = shift.starts_at - lead
        if at > now:
            due.append((which, at))
        else:
            marks[f"{which}_reminder_at"] = now
    return marks, due


def _plan_reminders(signup: ShiftSignup, shift: Shift, now: datetime) -> None:
    marks, due = _reminder_plan(shift, now)
    for column, value in marks.items():
        setattr(signup, column, value)
    _enqueue_reminders(signup.id, shift, due)


def _enqueue_reminders(signup_id: int, shift: Shift, due) -> None:
    """Plan a sign-up's due reminders for the shift's current revision (an edit makes them moot)."""
    for which, at in due:
        jobs.enqueue_at(jobs.send_shift_reminder, signup_id, which, shift.revision, at=at)


def reschedule_reminders(shift: Shift, now: datetime) -> None:
    """Plan everyone's reminders anew after the shift's time or place changed (the caller holds the
    shift's lock and commits). Jobs planned before carry the old revision and will do nothing."""
    marks, due = _reminder_plan(shift, now)
    confirmed = (ShiftSignup.shift_id == shift.id, ShiftSignup.status == "confirmed")
    db.session.execute(sa.update(ShiftSignup).where(*confirmed)
                       .values({f"{which}_reminder_at": marks.get(f"{which}_reminder_at") for which in REMINDERS})
                       .execution_options(synchronize_session=False))
    for signup_id in db.session.scalars(sa.select(ShiftSignup.id).where(*confirmed).order_by(ShiftSignup.id)).all():
        _enqueue_reminders(signup_id, shift, due)


def send_reminder(signup_id: int, which: str, now: datetime | None = None, revision: int | None = None) -> bool:
    """Remind a confirmed volunteer of their shift (the day before, an hour before), once.

    The reminder column is claimed with a conditional UPDATE and the notification has a dedupe key,
    so the delayed job, the backstop sweep and a redelivered job remind once between them. A job
    planned for an earlier revision of the shift (another time or place) does nothing.
    """
    now = now or utcnow()
    signup = db.session.get(ShiftSignup, signup_id, populate_existing=True)
    if signup is None or signup.status != "confirmed":
        return False
    # A share lock on the shift: an edit (which locks it for update) either waits for this reminder or
    # has committed its new revision before the check below, so no reminder goes out for an old time.
    shift = db.session.scalar(sa.select(Shift).where(Shift.id == signup.shift_id).with_for_update(read=True)
                              .execution_options(populate_existing=True))
    if shift.cancelled_at is not None or now >= shift.starts_at:
        return False
    if revision is not None and revision != shift.revision:
        return False
    column = getattr(ShiftSignup, f"{which}_reminder_at")
    claimed = db.session.execute(sa.update(ShiftSignup)
                                 .where(ShiftSignup.id == signup_id, column.is_(None), ShiftSignup.status == "confirmed")
                                 .values({column.key: now}).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return False
    if which == "day" and now >= shift.starts_at - REMINDERS["hour"]:
        return False  # too late for "tomorrow"; the hour reminder covers it
    activity = shift.activity
    title = "志愿服务明天开始" if which == "day" else "志愿服务即将开始"
    notify(signup.user_id, "volunteer_reminder", title, f"「{activity.title}」{when_label(shift)} {shift.place}".strip(),
           dedupe_key=f"volunteer-reminder-{which}-{signup_id}-r{shift.revision}", link=activity_link(activity.id),
           subject=("volunteer_signup", signup_id),
           message=shift_message(shift, "明天开始" if which == "day" else "即将开始"))
    return True


def remind_due(now: datetime | None = None, limit: int = 200) -> int:
    """Backstop for the delayed reminder jobs: send every reminder that is due and not yet handled."""
    now = now or utcnow()
    sent = 0
    for which, lead in REMINDERS.items():
        column = getattr(ShiftSignup, f"{which}_reminder_at")
        due = list(db.session.scalars(
            sa.select(ShiftSignup.id).join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(ShiftSignup.status == "confirmed", column.is_(None), Shift.cancelled_at.is_(None),
                   Shift.starts_at > now, Shift.starts_at <= now + lead)
            .order_by(Shift.starts_at).limit(limit)))
        sent += sum(send_reminder(signup_id, which, now) for signup_id in due)
    return sent


def notify_shift_changed(shift_id: int, revision: int) -> None:
    """Tell everyone signed up to a shift (confirmed or waiting) its new time and place, once per change.
    A change overtaken by a later one is left to the later one's job."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or shift.revision != revision or shift.cancelled_at is not None:
        return
    user_ids = db.session.scalars(sa.select(ShiftSignup.user_id).where(
        ShiftSignup.shift_id == shift_id, ShiftSignup.status.in_(LIVE)).order_by(ShiftSignup.id)).all()
    activity = shift.activity
    body = f"「{activity.title}」调整为 {when_label(shift)} {shift.place}".strip()
    for user_id in user_ids:
        notify(user_id, "volunteer_shift_changed", "志愿服务时间地点有调整", body,
               dedupe_key=f"volunteer-shift-changed-{shift_id}-r{revision}-{user_id}", link=activity_link(activity.id),
               subject=("volunteer_shift", shift_id), message=shift_message(shift, "已调整"))


def notify_activity_cancelled(activity_id: int) -> None:
    """Tell everyone whose sign-up the cancellation ended (one message per person)."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.status != "cancelled":
        return
    user_ids = db.session.scalars(
        sa.select(ShiftSignup.user_id).join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(Shift.activity_id == activity_id, ShiftSignup.cancel_kind == "activity_cancelled")
        .distinct().order_by(ShiftSignup.user_id)).all()
    body = f"「{activity.title}」已取消" + (f"：{activity.cancel_reason}" if activity.cancel_reason else "")
    for user_id in user_ids:
        notify(user_id, "activity_cancelled", "志愿活动已取消", body,
               dedupe_key=f"volunteer-activity-cancelled-{activity_id}-{user_id}", link=activity_link(activity_id),
               subject=("volunteer_activity", activity_id),
               message={"title": activity.title, "status": "已取消", "reason": activity.cancel_reason or "活动取消"})


# --- reading ------------------------------------------------------------------------------------

def my_signups_query(user_id: int, when: str = "upcoming", now: datetime | None = None):
    """A volunteer's sign-ups: upcoming live ones soonest first, or past/all ones latest first."""
    now = now or utcnow()
    query = sa.select(ShiftSignup).join(Shift, Shift.id == ShiftSignup.shift_id).where(ShiftSignup.user_id == user_id)
    if when == "upcoming":
        return (query.where(Shift.ends_at > now, ShiftSignup.status.in_(LIVE))
                .order_by(Shift.starts_at, ShiftSignup.id))
    if when == "past":
        query = query.where(Shift.ends_at <= now)
    return query.order_by(Shift.starts_at.desc(), ShiftSignup.id.desc())


def roster_query(shift_id: int):
    """A shift's sign-ups for its organisers: confirmed, then the waitlist in order, then cancelled."""
    get_shift_or_404(shift_id)
    order = sa.case((ShiftSignup.status == "confirmed", 0), (ShiftSignup.status == "waitlisted", 1), else_=2)
    return (sa.select(ShiftSignup).where(ShiftSignup.shift_id == shift_id)
            .order_by(order, ShiftSignup.waitlist_seq, ShiftSignup.id))


def get_shift_or_404(shift_id: int) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("班次不存在", reason="shift_not_found")
    return shift


def waitlist_lengths(shift_ids) -> dict[int, int]:
    shift_ids = list(shift_ids)
    if not shift_ids:
        return {}
    return dict(db.session.execute(
        sa.select(ShiftSignup.shift_id, sa.func.count(ShiftSignup.id))
        .where(ShiftSignup.shift_id.in_(shift_ids), ShiftSignup.status == "waitlisted")
        .group_by(ShiftSignup.shift_id)).all())
