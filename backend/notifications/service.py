"""Notify people: the in-app inbox, and WeChat subscribe messages where they consented.

`notify` runs inside the caller's transaction and is idempotent by `dedupe_key`, so a job that
runs twice notifies once. Sending to WeChat is its own job (retried on transient errors); a
failure there never rolls back or blocks the work that caused the notification.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.core.db import utcnow
from backend.core.errors import NotFound, Unprocessable
from backend.core.jobs import enqueue, job
from backend.extensions import db
from backend.notifications.models import Notification, OutgoingMessage, SubscribeConsent
from backend.wechat import SubscriptionSpent, WeChatError, WeChatUnavailable

MAX_REMAINING = 100
TRANSIENT_ERRCODES = {45009, 45011}  # quota and rate limits: try again later


def templates() -> dict[str, dict]:
    """Configured subscribe-message templates by notification kind."""
    return current_app.config.get("WECHAT_TEMPLATES") or {}


def notify(user_id: int, kind: str, title: str, body: str = "", *, dedupe_key: str, link: str = "",
           subject: tuple[str, int] | None = None, message: dict | None = None) -> Notification:
    """Put a notification in a user's inbox once per `dedupe_key`, and queue its WeChat message.

    `message` holds the values the kind's template fields refer to (e.g. title, status, time).
    """
    existing = _by_key(dedupe_key)
    if existing is not None:
        return existing
    notification = Notification(user_id=user_id, kind=kind, title=title[:60], body=body[:500], link=link,
                                subject_type=subject[0] if subject else None,
                                subject_id=subject[1] if subject else None, dedupe_key=dedupe_key)
    try:
        with db.session.begin_nested():
            db.session.add(notification)
    except IntegrityError:  # a concurrent run of the same job got there first
        return _by_key(dedupe_key)
    template = templates().get(kind)
    if template and current_app.extensions.get("wechat") is not None:
        values = message or {}
        outgoing = OutgoingMessage(notification_id=notification.id, user_id=user_id,
                                   template_id=template["template_id"], page=link,
                                   data={key: str(values.get(name, "")) for key, name in template["fields"].items()})
        db.session.add(outgoing)
        db.session.flush()
        enqueue(send_subscribe_message, outgoing.id)
    return notification


def _by_key(dedupe_key: str) -> Notification | None:
    return db.session.scalar(sa.select(Notification).where(Notification.dedupe_key == dedupe_key))


@job
def send_subscribe_message(message_id: int) -> None:
    """Send one subscribe message if the user still has a consent for its template."""
    message = db.session.get(OutgoingMessage, message_id)
    if message is None or message.status != "pending":
        return
    message.attempts += 1
    consent_taken = db.session.execute(
        sa.update(SubscribeConsent)
        .where(SubscribeConsent.user_id == message.user_id, SubscribeConsent.template_id == message.template_id,
               SubscribeConsent.remaining > 0)
        .values(remaining=SubscribeConsent.remaining - 1, updated_at=utcnow())).rowcount
    if not consent_taken:
        message.status = "no_consent"
        return
    client = current_app.extensions["wechat"]
    openid = db.session.scalar(sa.select(User.openid).where(User.id == message.user_id))
    try:
        client.send_subscribe_message(openid, message.template_id, message.data, page=message.page or None,
                                      miniprogram_state=current_app.config["WECHAT_MINIPROGRAM_STATE"])
    except SubscriptionSpent:
        # The user withdrew or used up their consent on WeChat's side: stop counting on it.
        db.session.execute(sa.update(SubscribeConsent)
                           .where(SubscribeConsent.user_id == message.user_id,
                                  SubscribeConsent.template_id == message.template_id).values(remaining=0))
        message.status = "no_consent"
        return
    except WeChatUnavailable:
        raise  # transient: the job fails, the consent is given back by the rollback, and it is retried
    except WeChatError as exc:
        if exc.errcode in TRANSIENT_ERRCODES:
            raise
        message.status, message.last_error = "failed", f"{exc.errcode}: {exc.errmsg}"[:300]
        return
    except ValueError as exc:  # a value WeChat would refuse (too long for its field type)
        message.status, message.last_error = "failed", str(exc)[:300]
        return
    message.status, message.sent_at = "sent", utcnow()


# --- the inbox ----------------------------------------------------------------------------------

def inbox_query(user_id: int, unread_only: bool = False):
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id))
                             .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (another user's is 404)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound("消息不存在", reason="notification_not_found")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(user_id: int) -> int:
    count = db.session.execute(sa.update(Notification)
                               .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                               .values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


# --- consents -----------------------------------------------------------------------------------

def record_consents(user_id: int, template_ids: list[str], now: datetime | None = None) -> dict[str, int]:
    """Count one more allowed message for each accepted template (wx.requestSubscribeMessage → accept)."""
    known = {t["template_id"] for t in templates().values()}
    unknown = sorted(set(template_ids) - known)
    if unknown:
        raise Unprocessable("包含未知的订阅消息模板", reason="unknown_template",
                            errors={"json": {"template_ids": [f"未知模板：{t}" for t in unknown]}})
    now = now or utcnow()
    for template_id in sorted(set(template_ids)):
        raised = db.session.execute(
            sa.update(SubscribeConsent)
            .where(SubscribeConsent.user_id == user_id, SubscribeConsent.template_id == template_id)
            .values(remaining=sa.case((SubscribeConsent.remaining < MAX_REMAINING, SubscribeConsent.remaining + 1),
                                      else_=SubscribeConsent.remaining), updated_at=now)).rowcount
        if not raised:
            try:
                with db.session.begin_nested():
                    db.session.add(SubscribeConsent(user_id=user_id, template_id=template_id, remaining=1,
                                                    updated_at=now))
            except IntegrityError:  # the same consent recorded concurrently; count this one too
                db.session.execute(sa.update(SubscribeConsent)
                                   .where(SubscribeConsent.user_id == user_id,
                                          SubscribeConsent.template_id == template_id)
                                   .values(remaining=SubscribeConsent.remaining + 1, updated_at=now))
    db.session.commit()
    return consents(user_id)


def consents(user_id: int) -> dict[str, int]:
    return dict(db.session.execute(sa.select(SubscribeConsent.template_id, SubscribeConsent.remaining)
                                   .where(SubscribeConsent.user_id == user_id)).all())
