"""`Idempotency-Key` for writes a phone may retry.

The same key from the same user returns the first (successful) response and creates nothing new;
the same key with a different body is 422; a key whose first request is still running is 409.
Only successful responses are kept, so a request that failed validation can be retried as is.
"""
from __future__ import annotations

import hashlib
from functools import wraps

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from backend.core.auth import current_actor
from backend.core.errors import Conflict, DomainError, Unprocessable
from backend.core.fields import UNSTORABLE
from backend.core.models import IdempotencyRecord
from backend.extensions import db

HEADER = "Idempotency-Key"


def idempotent(view):
    """Make a write view safe to repeat with the same `Idempotency-Key` (put it above @blp.response)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        actor = current_actor()
        if key is None or actor is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or UNSTORABLE.search(key):  # it is stored: no NUL, no control characters
            raise DomainError("Idempotency-Key 应为 1–255 个字符，不能含控制字符", reason="invalid_idempotency_key")
        digest = _request_digest()
        existing = _find(actor.user_id, key)
        if existing is not None:
            return _replay(existing, digest)
        db.session.add(IdempotencyRecord(user_id=actor.user_id, key=key, request_hash=digest))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return _replay(_find(actor.user_id, key), digest)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            _forget(actor.user_id, key)
            raise
        if 200 <= response.status_code < 300:
            db.session.execute(sa.update(IdempotencyRecord)
                               .where(IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key)
                               .values(status_code=response.status_code, response_body=response.get_data(as_text=True)))
            db.session.commit()
        else:
            _forget(actor.user_id, key)
        response.headers["Idempotent-Replayed"] = "false"
        return response

    return wrapper


def _request_digest() -> str:
    """Fingerprint the method, path and body of this request.

    A multipart body counts by its fields and file contents, not its bytes: its boundary is random,
    so a phone's retry of the same upload never repeats the first request byte for byte.
    """
    digest = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n")
    if request.mimetype != "multipart/form-data":
        digest.update(request.get_data())
        return digest.hexdigest()
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(_framed(b"field", name.encode(), value.encode()))
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        content = hashlib.sha256()
        for chunk in iter(lambda: upload.stream.read(1 << 16), b""):
            content.update(chunk)
        upload.stream.seek(0)
        digest.update(_framed(b"file", name.encode(), content.digest()))
    return digest.hexdigest()


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def _find(user_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(sa.select(IdempotencyRecord)
                             .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key))


def _forget(user_id: int, key: str) -> None:
    db.session.execute(sa.delete(IdempotencyRecord)
                       .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
                              IdempotencyRecord.status_code.is_(None)))
    db.session.commit()


def _replay(record: IdempotencyRecord | None, digest: str):
    if record is None:  # the first request failed and was forgotten in between; ask to retry
        raise Conflict("请求正在处理中，请稍后重试", reason="idempotency_in_flight")
    if record.request_hash != digest:
        raise Unprocessable("同一个 Idempotency-Key 不能用于不同的请求", reason="idempotency_key_reused")
    if record.status_code is None:
        raise Conflict("请求正在处理中，请稍后重试", reason="idempotency_in_flight")
    response = current_app.response_class(record.response_body, status=record.status_code,
                                          mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
