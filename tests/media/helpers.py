"""Request and inspection helpers shared by the media tests."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from backend.extensions import db
from backend.media.models import MediaFile


def multipart(data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg",
              field: str = "file", boundary: str | None = None) -> tuple[bytes, str]:
    """One multipart body with a file, and its Content-Type; a fresh random boundary unless given.

    Encoded here, in memory: the test client's own encoder spools big bodies to a temp file it
    never closes, which `-W error` reports.
    """
    boundary = boundary or f"linli-{uuid.uuid4().hex}"
    _, body = encode_multipart({field: FileStorage(io.BytesIO(data), filename, content_type=content_type)},
                               boundary=boundary)
    return body, f"multipart/form-data; boundary={boundary}"


def post_photo(client, headers: dict | None, data: bytes, filename: str = "photo.jpg",
               content_type: str = "image/jpeg", field: str = "file"):
    """POST one file as multipart field `file`, the way wx.uploadFile does."""
    body, body_type = multipart(data, filename, content_type, field)
    return client.post("/api/v1/uploads", headers=headers or {}, data=body, content_type=body_type)


def media_rows() -> list[MediaFile]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(MediaFile).order_by(MediaFile.id)))


def stored_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
