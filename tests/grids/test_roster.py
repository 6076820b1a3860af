"""The duty roster: weekly windows in Asia/Shanghai local time, and exceptions that override them."""
from datetime import datetime, time, timezone

from backend.extensions import db
from backend.grids.models import DutyException, DutyWindow
from backend.grids.service import on_duty, on_duty_among
from tests.factories import make_geography, make_staff

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def staff_with_windows(geo, openid: str, *windows: tuple[int, time, time]):
    user = make_staff(openid, geo.grids[0], always_on_duty=False)
    db.session.add_all(DutyWindow(user_id=user.id, weekday=d, starts=s, ends=e) for d, s, e in windows)
    db.session.commit()
    return user


def test_weekly_window_is_in_shanghai_local_time(app):
    geo = make_geography()
    # Monday 08:30–17:30 in Shanghai is Monday 00:30–09:30 UTC. 2024-06-03 was a Monday.
    worker = staff_with_windows(geo, "worker", (0, time(8, 30), time(17, 30)))

    assert on_duty(worker.id, utc(2024, 6, 3, 0, 30)) is True  # 08:30 local: the window opens
    assert on_duty(worker.id, utc(2024, 6, 3, 0, 29, 59)) is False
    assert on_duty(worker.id, utc(2024, 6, 3, 9, 29, 59)) is True
    assert on_duty(worker.id, utc(2024, 6, 3, 9, 30)) is False  # 17:30 local: it has closed
    assert on_duty(worker.id, utc(2024, 6, 3, 4, 0)) is True
    assert on_duty(worker.id, utc(2024, 6, 10, 4, 0)) is True  # every week
    assert on_duty(worker.id, utc(2024, 6, 4, 4, 0)) is False  # Tuesday
    # Sunday 20:00 UTC is already Monday 04:00 in Shanghai, but before the window.
    assert on_duty(worker.id, utc(2024, 6, 2, 20, 0)) is False
    # Monday 10:00 UTC is still Monday (18:00) in Shanghai, after the window.
    assert on_duty(worker.id, utc(2024, 6, 3, 10, 0)) is False


def test_local_weekday_differs_from_utc_weekday(app):
    geo = make_geography()
    # Tuesday 06:00–08:00 local is Monday 22:00–24:00 UTC.
    early = staff_with_windows(geo, "early", (1, time(6), time(8)))
    assert on_duty(early.id, utc(2024, 6, 3, 22, 30)) is True
    assert on_duty(early.id, utc(2024, 6, 4, 22, 30)) is False


def test_night_shift_split_at_midnight(app):
    geo = make_geography()
    night = staff_with_windows(geo, "night", (4, time(17, 30), time.max), (5, time(0), time(8, 30)))
    assert on_duty(night.id, utc(2024, 6, 7, 15, 59, 59)) is True  # Friday 23:59:59 local
    assert on_duty(night.id, utc(2024, 6, 7, 16, 0)) is True  # Saturday 00:00 local
    assert on_duty(night.id, utc(2024, 6, 8, 0, 29)) is True  # Saturday 08:29 local
    assert on_duty(night.id, utc(2024, 6, 8, 0, 30)) is False


def test_leave_turns_a_window_off(app):
    geo = make_geography()
    worker = staff_with_windows(geo, "worker", (0, time(8, 30), time(17, 30)))
    db.session.add(DutyException(user_id=worker.id, starts_at=utc(2024, 6, 3, 1), ends_at=utc(2024, 6, 3, 3),
                                 on_duty=False, reason="病假"))
    db.session.commit()

    assert on_duty(worker.id, utc(2024, 6, 3, 0, 59)) is True
    assert on_duty(worker.id, utc(2024, 6, 3, 1, 0)) is False
    assert on_duty(worker.id, utc(2024, 6, 3, 2, 59)) is False
    assert on_duty(worker.id, utc(2024, 6, 3, 3, 0)) is True  # the leave has ended


def test_extra_shift_turns_duty_on_and_the_newest_exception_wins(app):
    geo = make_geography()
    worker = staff_with_windows(geo, "worker", (0, time(8, 30), time(17, 30)))
    saturday_morning = utc(2024, 6, 8, 2)  # Saturday 10:00 local: no window
    assert on_duty(worker.id, saturday_morning) is False

    db.session.add(DutyException(user_id=worker.id, starts_at=utc(2024, 6, 8, 1), ends_at=utc(2024, 6, 8, 4),
                                 on_duty=True, reason="周末活动值守"))
    db.session.commit()
    assert on_duty(worker.id, saturday_morning) is True

    db.session.add(DutyException(user_id=worker.id, starts_at=utc(2024, 6, 8, 0), ends_at=utc(2024, 6, 8, 12),
                                 on_duty=False, reason="调休"))
    db.session.commit()
    assert on_duty(worker.id, saturday_morning) is False


def test_on_duty_among_answers_for_many_at_once(app):
    geo = make_geography()
    day = staff_with_windows(geo, "day", (0, time(8, 30), time(17, 30)))
    night = staff_with_windows(geo, "night", (0, time(0), time(8, 30)))
    off = staff_with_windows(geo, "off")
    everyone = [day.id, night.id, off.id]

    assert on_duty_among(everyone, utc(2024, 6, 3, 2)) == {day.id}
    assert on_duty_among(everyone, utc(2024, 6, 2, 20)) == {night.id}
    assert on_duty_among([], utc(2024, 6, 3, 2)) == set()
