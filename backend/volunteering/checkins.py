"""Check-in and check-out (签到/签退): by scanning the organiser's rotating code, or by the organiser's hand.

The code an organiser shows is `<shift id>.<window>.<mac>` (base 36, base 36, 12 base-32 characters
of HMAC-SHA256 under SECRET_KEY): at most 27 characters, so it fits a mini-program code's 32-character
`scene`. A window is 30 seconds; a code is accepted in its own window and the next, so a code on the
organiser's screen works for 30 to 60 seconds and a photo of it passed around is soon useless (代签).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.core.db import utcnow
from backend.core.errors import Conflict, InvalidTransition, Unprocessable
from backend.extensions import db
from backend.volunteering import jobs, ledger
from backend.volunteering.models import Attendance, Shift, ShiftSignup
from backend.volunteering.service import CHECKIN_OPENS_BEFORE, get_shift, settings_of
from backend.volunteering.signups import get_signup
from backend.wechat import WeChatError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 30
CLOSES_AFTER = timedelta(hours=2)     # check-out stays open this long after the end; then the sweep closes it
CHECKIN_PAGE = "pages/volunteer/checkin/checkin"
MAC_LENGTH = 12
CODE_RE = re.compile(r"([0-9a-z]{1,7})\.([0-9a-z]{1,8})\.([A-Z2-7]{%d})" % MAC_LENGTH)
EARTH_RADIUS_M = 6_371_000
WXACODE_CACHE_SIZE = 64
_wxacode_lock = threading.Lock()


# --- the rotating code --------------------------------------------------------------------------

@dataclass
class CheckinCode:
    shift_id: int
    code: str
    rotates_at: datetime
    expires_at: datetime
    image: bytes | None


def _window(now: datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def _window_start(window: int) -> datetime:
    return datetime.fromtimestamp(window * WINDOW_SECONDS, tz=timezone.utc)


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, remainder = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[remainder] + digits
        if number == 0:
            return digits


def _mac(shift_id: int, window: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"linli-checkin:{shift_id}:{window}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:MAC_LENGTH]


def code_for(shift_id: int, window: int) -> str:
    return f"{_base36(shift_id)}.{_base36(window)}.{_mac(shift_id, window)}"


def read_code(code: str) -> tuple[int, int]:
    """(shift id, window) of a genuine code; 422 `invalid_checkin_code` for anything else."""
    match = CODE_RE.fullmatch(code.strip())
    if match is not None:
        shift_id, window = int(match[1], 36), int(match[2], 36)
        if hmac.compare_digest(match[3], _mac(shift_id, window)):
            return shift_id, window
    raise Unprocessable("无效的签到码，请扫描组织者出示的二维码", reason="invalid_checkin_code")


def issue_code(shift_id: int, now: datetime | None = None) -> CheckinCode:
    """The shift's current check-in code (and its mini-program code image when WeChat is configured)."""
    now = now or utcnow()
    shift = get_shift(shift_id)
    if shift.cancelled_at is not None:
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    if now < shift.starts_at - CHECKIN_OPENS_BEFORE:
        raise Conflict("签到将在班次开始前 1 小时开放", reason="checkin_not_open")
    if now > shift.ends_at + CLOSES_AFTER:
        raise Conflict("签到已结束", reason="checkin_closed")
    window = _window(now)
    code = code_for(shift_id, window)
    return CheckinCode(shift_id, code, _window_start(window + 1), _window_start(window + 2), _wxacode(code))


def _wxacode(code: str) -> bytes | None:
    """A mini-program code opening the check-in page with the code as its scene; None without WeChat
    or when WeChat fails (the page then draws a plain QR code of the same text)."""
    client = current_app.extensions.get("wechat")
    if client is None:
        return None
    cache = current_app.extensions.setdefault("linli_checkin_wxacodes", {})
    with _wxacode_lock:
        if code in cache:
            return cache[code]
    env = {"formal": "release", "trial": "trial", "developer": "develop"}.get(
        current_app.config.get("WECHAT_MINIPROGRAM_STATE"), "release")
    try:
        image = client.get_wxacode_unlimited(code, CHECKIN_PAGE, check_path=env == "release", env_version=env)
    except (WeChatError, ValueError) as exc:
        log.warning("getwxacodeunlimit failed for a check-in code: %s", exc)
        return None
    with _wxacode_lock:
        cache[code] = image
        while len(cache) > WXACODE_CACHE_SIZE:
            cache.pop(next(iter(cache)))
    return image


# --- scanning -----------------------------------------------------------------------------------

@dataclass
class ScanResult:
    action: str  # "checked_in" | "checked_out"
    attendance: Attendance


def scan(user_id: int, code: str, lat: float | None = None, lng: float | None = None,
         shift_hint: int | None = None, now: datetime | None = None) -> ScanResult:
    """Check in with a scanned code, or check out with a later one.

    Refusals, each with its reason: a code that is not ours (`invalid_checkin_code`), too old
    (`checkin_code_expired`), for another shift (`wrong_shift`), from someone without a confirmed
    place (`not_signed_up`), too far from the place (`too_far`), or after check-out (`already_checked_out`).
    """
    now = now or utcnow()
    shift_id, window = read_code(code)
    current = _window(now)
    if window > current:
        raise Unprocessable("无效的签到码，请扫描组织者出示的二维码", reason="invalid_checkin_code")
    if window < current - 1:
        raise Conflict("签到码已过期，请扫描组织者手机上最新的二维码", reason="checkin_code_expired")
    if shift_hint is not None and shift_hint != shift_id:
        raise Conflict("这不是您报名班次的签到码", reason="wrong_shift")
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise Unprocessable("无效的签到码，请扫描组织者出示的二维码", reason="invalid_checkin_code")
    if shift.cancelled_at is not None:
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    signup = _confirmed_signup(user_id, shift)
    attendance = _attendance_of(signup.id)
    if attendance is not None and attendance.closed_at is not None:
        raise Conflict("您已签退，本班次的服务时长已记录", reason="already_checked_out")
    _check_distance(shift, lat, lng)
    if attendance is None:
        return ScanResult("checked_in", _check_in(signup, shift, "scan", None, lat, lng, now))
    # A second scan sooner than this is a repeat, not a check-out (VOLUNTEERING_MIN_STAY_SECONDS).
    min_stay = timedelta(seconds=current_app.config["VOLUNTEERING_MIN_STAY_SECONDS"])
    if now - attendance.checked_in_at < min_stay:
        raise Conflict("您刚刚已签到，服务结束时再扫码签退", reason="already_checked_in")
    return ScanResult("checked_out", _close_or_refuse(attendance.id, "scan", None, now))


def _confirmed_signup(user_id: int, shift: Shift) -> ShiftSignup:
    signups = db.session.execute(
        sa.select(ShiftSignup.id, ShiftSignup.shift_id, ShiftSignup.status).join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.user_id == user_id, ShiftSignup.status.in_(("confirmed", "waitlisted")),
               Shift.activity_id == shift.activity_id)).all()
    for signup_id, shift_id, status in signups:
        if shift_id == shift.id and status == "confirmed":
            return db.session.get(ShiftSignup, signup_id)
    if any(shift_id == shift.id for _, shift_id, _ in signups):
        raise Conflict("您在候补名单中，尚未获得名额", reason="not_signed_up")
    if any(status == "confirmed" for _, _, status in signups):
        raise Conflict("这不是您报名班次的签到码，请核对班次时间", reason="wrong_shift")
    raise Conflict("您没有报名这个班次", reason="not_signed_up")


def _attendance_of(signup_id: int) -> Attendance | None:
    return db.session.scalar(sa.select(Attendance).where(Attendance.signup_id == signup_id)
                             .execution_options(populate_existing=True))


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _check_distance(shift: Shift, lat: float | None, lng: float | None) -> None:
    """When the volunteer shares a location and the shift has one, they must be within the radius."""
    if lat is None or lng is None or shift.lat is None or shift.lng is None:
        return
    radius = settings_of(shift.activity.community_id).checkin_radius_m
    away = distance_m(lat, lng, shift.lat, shift.lng)
    if away > radius:
        raise Conflict(f"您距离服务地点约 {away / 1000:.1f} 公里，请到达后再签到（{radius} 米内）", reason="too_far")


def _check_in(signup: ShiftSignup, shift: Shift, method: str, by_user_id: int | None,
              lat: float | None, lng: float | None, now: datetime) -> Attendance:
    if now < shift.starts_at - CHECKIN_OPENS_BEFORE:
        raise Conflict("签到将在班次开始前 1 小时开放", reason="checkin_not_open")
    if now >= shift.ends_at:
        raise Conflict("班次已结束，不能再签到", reason="checkin_closed")
    attendance = Attendance(signup_id=signup.id, shift_id=shift.id, user_id=signup.user_id, checked_in_at=now,
                            checkin_method=method, checked_in_by_id=by_user_id, checkin_lat=lat, checkin_lng=lng)
    db.session.add(attendance)
    try:
        db.session.flush()
    except IntegrityError:  # a second scan raced the first (UNIQUE signup_id)
        db.session.rollback()
        raise Conflict("已签到", reason="already_checked_in") from None
    jobs.enqueue_at(jobs.close_forgotten_checkout, attendance.id, at=shift.ends_at + CLOSES_AFTER)
    db.session.commit()
    return attendance


def _close_or_refuse(attendance_id: int, method: str, by_user_id: int | None, now: datetime) -> Attendance:
    attendance = close_attendance(attendance_id, method, now, by_user_id=by_user_id)
    if attendance is None:
        db.session.rollback()
        raise Conflict("您已签退，本班次的服务时长已记录", reason="already_checked_out")
    db.session.commit()
    return attendance


def close_attendance(attendance_id: int, method: str, now: datetime, by_user_id: int | None = None,
                     missing: bool = False) -> Attendance | None:
    """Close an open attendance and credit its hours (the caller commits); None if already closed.

    Hours run from check-in to check-out clipped to the shift; a missing check-out (`missing`) counts
    to the shift's end and is flagged.
    """
    attendance = db.session.get(Attendance, attendance_id)
    shift = attendance.shift
    minutes = ledger.clipped_minutes(attendance.checked_in_at, shift.ends_at if missing else now, shift)
    closed = db.session.execute(
        sa.update(Attendance).where(Attendance.id == attendance_id, Attendance.closed_at.is_(None))
        .values(checked_out_at=None if missing else now, checkout_method=method, checked_out_by_id=by_user_id,
                checkout_missing=missing, closed_at=now, minutes=minutes)
        .execution_options(synchronize_session=False)).rowcount
    if not closed:
        return None
    attendance = db.session.get(Attendance, attendance_id, populate_existing=True)
    ledger.credit_attendance(attendance)
    return attendance


# --- by the organiser's hand --------------------------------------------------------------------

def manual_check_in(signup_id: int, by_user_id: int, now: datetime | None = None) -> Attendance:
    """An organiser checks a volunteer in by hand (elderly volunteers without phones); recorded as such."""
    now = now or utcnow()
    signup = get_signup(signup_id)
    if signup.status != "confirmed":
        raise Conflict("该志愿者没有确认的名额", reason="not_signed_up")
    shift = signup.shift
    if shift.cancelled_at is not None:
        raise InvalidTransition("活动已取消", reason="activity_cancelled")
    attendance = _attendance_of(signup_id)
    if attendance is not None:
        if attendance.closed_at is not None:
            raise Conflict("该志愿者已签退", reason="already_checked_out")
        raise Conflict("该志愿者已签到", reason="already_checked_in")
    return _check_in(signup, shift, "manual", by_user_id, None, None, now)


def manual_check_out(signup_id: int, by_user_id: int, now: datetime | None = None) -> Attendance:
    """An organiser checks a volunteer out by hand."""
    now = now or utcnow()
    get_signup(signup_id)
    attendance = _attendance_of(signup_id)
    if attendance is None:
        raise Conflict("该志愿者尚未签到", reason="not_checked_in")
    if attendance.closed_at is not None:
        raise Conflict("该志愿者已签退", reason="already_checked_out")
    return _close_or_refuse(attendance.id, "manual", by_user_id, now)


# --- forgotten check-outs -----------------------------------------------------------------------

def close_if_forgotten(attendance_id: int, now: datetime | None = None) -> bool:
    """Close an attendance nobody checked out of, once check-out has closed: hours to the shift's end, flagged."""
    now = now or utcnow()
    attendance = db.session.get(Attendance, attendance_id)
    if attendance is None or attendance.closed_at is not None or now < attendance.shift.ends_at + CLOSES_AFTER:
        return False
    return close_attendance(attendance_id, "auto", now, missing=True) is not None


def close_forgotten(now: datetime | None = None, limit: int = 200) -> int:
    """Backstop sweep: close every attendance still open after its check-out window."""
    now = now or utcnow()
    open_ids = list(db.session.scalars(
        sa.select(Attendance.id).join(Shift, Shift.id == Attendance.shift_id)
        .where(Attendance.closed_at.is_(None), Shift.ends_at <= now - CLOSES_AFTER)
        .order_by(Attendance.id).limit(limit)))
    return sum(close_if_forgotten(attendance_id, now) for attendance_id in open_ids)
