"""Background work of volunteering: reminders, cancellation notices, closing forgotten check-outs.

Each job takes ids, loads fresh state and returns early when the work is done (the outbox runner
commits). Each delayed job has a periodic sweep behind it, so a lost job only delays the work.
The services enqueue these jobs, so the services are imported inside the functions.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from backend.core.db import utcnow
from backend.core.jobs import enqueue, job, periodic


def enqueue_at(func, *args: int | str, at: datetime) -> None:
    """Run a job at a moment rather than after a delay (the delay is taken from the real clock, so
    callers that pass their own `now` still schedule for the right moment)."""
    enqueue(func, *args, delay=max(at - utcnow(), timedelta(0)))


@job
def send_shift_reminder(signup_id: int, which: str, revision: int | None = None) -> None:
    """Remind a volunteer of their shift: `day` (the day before) or `hour` (an hour before); nothing
    if the shift's time or place changed since the reminder was planned (a newer job is planned)."""
    from backend.volunteering import signups

    signups.send_reminder(signup_id, which, revision=revision)


@job
def notify_shift_changed(shift_id: int, revision: int) -> None:
    """Tell everyone signed up to a shift its new time and place."""
    from backend.volunteering import signups

    signups.notify_shift_changed(shift_id, revision)


@job
def notify_activity_cancelled(activity_id: int) -> None:
    """Tell everyone signed up to a cancelled activity."""
    from backend.volunteering import signups

    signups.notify_activity_cancelled(activity_id)


@job
def close_forgotten_checkout(attendance_id: int) -> None:
    """Close an attendance nobody checked out of, once its check-out window has passed."""
    from backend.volunteering import checkins

    checkins.close_if_forgotten(attendance_id)


@periodic("volunteering-reminders")
def remind_due_shifts() -> int:
    """Backstop: send reminders that are due and were not sent."""
    from backend.volunteering import signups

    return signups.remind_due()


@periodic("volunteering-checkouts")
def close_forgotten_checkouts() -> int:
    """Backstop: close attendances still open after their check-out window."""
    from backend.volunteering import checkins

    return checkins.close_forgotten()
