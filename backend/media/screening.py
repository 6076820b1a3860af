"""WeChat's asynchronous image check (mediaCheckAsync v2) for photos others will see.

A feature attaching photos calls `screen_photos`: with WeChat configured each photo waits as
`pending` while a job hands WeChat a signed, short-lived public link to it; the verdict comes back
later as a pushed `wxa_media_check` event (`apply_verdict`), matched by trace id. Without WeChat the
photos pass at once: the local mode has no image checker (its keyword list only reads text).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.core.errors import InvalidTransition, NotFound
from backend.core.jobs import enqueue
from backend.extensions import db
from backend.media import jobs
from backend.media.models import MediaFile
from backend.notifications.service import notify
from backend.wechat import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)

SCENE_FORUM = 3  # mediaCheckAsync scenes: 1 profile, 2 comment, 3 forum, 4 social log
VERDICTS = ("pass", "review", "risky")
PUBLIC_LINK_TTL = 3600  # seconds WeChat has to download a photo (it checks within 30 minutes)
TRANSIENT_ERRCODES = {45009, 45011}  # daily quota, per-minute limit: try again later
# WeChat answers within 30 minutes; a photo still pending after that will most likely never hear back.
UNANSWERED_AFTER = timedelta(minutes=30)


def screen_photos(photos: list[MediaFile], scene: int = SCENE_FORUM) -> None:
    """Hold newly attached photos as `pending` and queue their check (in the caller's transaction)."""
    if current_app.extensions.get("wechat") is None:
        return  # no image checker in the local mode: the photos stay `pass`
    for photo in photos:
        photo.screening = "pending"
        enqueue(jobs.check_photo, photo.id, scene)


def awaiting_a_manager(now: datetime):
    """SQL condition: the photo waits for a human — WeChat asked for one (`review`), or has not answered in time.

    `risky` is not waiting: it is WeChat's final verdict (or a manager's 不予展示), and nobody may change it.
    Counted from the upload, the only time a photo keeps.
    """
    return sa.or_(MediaFile.screening == "review",
                  sa.and_(MediaFile.screening == "pending", MediaFile.created_at <= now - UNANSWERED_AFTER))


def send_for_check(media_id: int, scene: int) -> None:
    """Ask WeChat to check a pending photo and keep the trace id (returns early if already asked)."""
    media = db.session.get(MediaFile, media_id)
    if media is None or media.screening != "pending" or media.screening_trace_id:
        return
    client = current_app.extensions.get("wechat")
    if client is None:  # WeChat was switched off since: no verdict will ever come
        media.screening = "pass"
        return
    openid = db.session.scalar(sa.select(User.openid).where(User.id == media.owner_id))
    try:
        media.screening_trace_id = client.media_check_async(public_link(media.id), openid, scene=scene)
    except WeChatUnavailable:
        raise  # the outbox retries the job
    except WeChatError as exc:
        if exc.errcode in TRANSIENT_ERRCODES:
            raise
        # An openid or URL WeChat refuses will not improve on retry: a moderator decides instead.
        log.warning("mediaCheckAsync refused photo %s (errcode %s); holding it for review", media_id, exc.errcode)
        media.screening = "review"


def apply_verdict(trace_id: str, suggest: str) -> MediaFile:
    """Record WeChat's pushed verdict on the photo with this trace id; a verdict already recorded stays.

    `risky` tells the uploader the photo was not published; an unknown verdict holds it for review.
    """
    media = db.session.scalar(sa.select(MediaFile).where(MediaFile.screening_trace_id == trace_id)) if trace_id else None
    if media is None:
        raise NotFound("没有与该 trace_id 对应的照片", reason="unknown_trace_id")
    _decide(media, suggest if suggest in VERDICTS else "review", ("pending",))
    db.session.commit()
    return media


def moderate_photo(media_id: int, decision: str) -> MediaFile:
    """A manager passes or rejects a photo the check held for review (or that still waits for WeChat)."""
    media = db.session.get(MediaFile, media_id)
    if media is None:
        raise NotFound("照片不存在", reason="media_not_found")
    if not _decide(media, decision, ("pending", "review")):
        raise InvalidTransition("这张照片已有审核结果")
    db.session.commit()
    return media


def _decide(media: MediaFile, verdict: str, from_states: tuple[str, ...]) -> bool:
    """Move the photo from one of `from_states` to `verdict` with one conditional UPDATE; False if it was not there."""
    moved = db.session.execute(sa.update(MediaFile).where(MediaFile.id == media.id, MediaFile.screening.in_(from_states))
                               .values(screening=verdict)).rowcount
    db.session.refresh(media)
    if moved and verdict == "risky":
        notify(media.owner_id, "photo_rejected", "您上传的照片未通过安全检查",
               "这张照片不会向其他居民展示，请更换后重新上传。如有疑问请联系社区工作人员。",
               dedupe_key=f"media:{media.id}:risky", subject=("media", media.id))
    return bool(moved)


# --- the public link WeChat downloads from --------------------------------------------------------

def public_link(media_id: int, now: float | None = None) -> str:
    """An https link to the photo's bytes under PUBLIC_BASE_URL, signed, valid for PUBLIC_LINK_TTL seconds."""
    expires = int(now if now is not None else time.time()) + PUBLIC_LINK_TTL
    # Built without a request (jobs run in a worker); PUBLIC_BASE_URL carries any path prefix.
    path = current_app.url_map.bind("localhost").build(
        "media.PublicMediaContent", {"media_id": media_id, "expires": expires, "signature": _sign(media_id, expires)})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def publicly_linked_photo(media_id: int, expires: str, signature: str) -> tuple[str, str]:
    """The storage key and content type behind a valid, unexpired signed link; 404 for anything else."""
    now = time.time()
    # ASCII digits of a sane length (str.isdigit takes "²", int() refuses over 4300 digits); the
    # signature compared as bytes (compare_digest refuses str with non-ASCII characters).
    valid = (re.fullmatch(r"[0-9]{1,12}", expires) is not None and now < int(expires) <= now + PUBLIC_LINK_TTL
             and hmac.compare_digest(_sign(media_id, int(expires)).encode(), signature.encode()))
    media = db.session.get(MediaFile, media_id) if valid else None
    if media is None:
        raise NotFound("照片不存在或链接已过期", reason="media_not_found")
    return media.storage_key, media.content_type


def _sign(media_id: int, expires: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"media-public:{media_id}:{expires}".encode(), hashlib.sha256).hexdigest()
