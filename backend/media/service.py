"""Photo rules: what an upload may be, how it is cleaned and stored, and who may see it."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import BinaryIO, Callable, NamedTuple

from flask import current_app
from PIL import Image, ImageOps

from backend.core.errors import DomainError, NotFound, Unprocessable
from backend.core.policies import Actor, allowed
from backend.extensions import db
from backend.media.models import MediaFile
from backend.media.storage import new_key, storage_for

MAX_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85

AttachmentViewer = Callable[[Actor, int], bool]


class _AttachmentRules(NamedTuple):
    viewer: AttachmentViewer  # who may see the object with that id
    manager: AttachmentViewer | None  # who manages it


# attached_type → its rules (see `register_attachment_viewer`).
_attachment_viewers: dict[str, _AttachmentRules] = {}


def register_attachment_viewer(attached_type: str, viewer: AttachmentViewer,
                               manager: AttachmentViewer | None = None) -> None:
    """Let a feature that attaches photos to its objects say who may see them — media's one extension point.

    A photo attached to an object of `attached_type` is seen by its uploader and by whoever
    `viewer(actor, attached_id)` lets see that object; a type nobody registered shows its photos to
    the uploader only. A photo the image check has not passed (`MediaFile.screening`) is seen only by
    whoever `manager(actor, attached_id)` lets manage the object, and by its uploader unless it was
    found risky. Features register from their `policies.py`, so media imports none of them.
    """
    if attached_type in _attachment_viewers:
        raise ValueError(f"attachment viewer for {attached_type!r} registered twice")
    _attachment_viewers[attached_type] = _AttachmentRules(viewer, manager)


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo and its thumbnail, ready to store."""

    content_type: str
    extension: str
    width: int
    height: int
    body: bytes
    thumbnail: bytes


def store_photo(owner_id: int, stream: BinaryIO) -> MediaFile:
    """Check an uploaded photo, store it re-encoded with a thumbnail, and record it."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DomainError(f"照片不能超过 {limit / 2**20:.0f} MB", reason="file_too_large", status=413)
    photo = clean_photo(data, current_app.config["UPLOAD_MAX_PIXELS"])
    storage = storage_for(current_app)
    keys = (new_key(photo.extension), new_key(photo.extension))
    try:
        storage.save(keys[0], photo.body)
        storage.save(keys[1], photo.thumbnail)
        media = MediaFile(owner_id=owner_id, storage_key=keys[0], thumbnail_key=keys[1],
                          content_type=photo.content_type, width=photo.width, height=photo.height,
                          size=len(photo.body), sha256=hashlib.sha256(photo.body).hexdigest())
        db.session.add(media)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for key in keys:
            storage.delete(key)
        raise
    return media


def sniff_format(data: bytes) -> str | None:
    """The Pillow format named by the file's first bytes, if it is one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_photo(data: bytes, max_pixels: int) -> CleanPhoto:
    """Decode an upload and re-encode it upright, size-capped and without any metadata (EXIF, GPS, XMP)."""
    image = _open_checked(data, max_pixels)
    try:
        # thumbnail() lets the JPEG decoder scale down while decoding; rotating after scaling is
        # the same as rotating before, because the cap is square.
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        image.load()
    except Exception as exc:  # Pillow raises many types on malformed data; all mean a bad file
        raise _undecodable() from exc
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # EXIF that cannot be parsed: keep the photo as decoded rather than refuse it
        pass
    image, fmt = _pixels_to_store(image)
    image.info = {}  # what save() could still copy from the source (comments, text chunks)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return CleanPhoto(content_type=f"image/{fmt.lower()}", extension="jpg" if fmt == "JPEG" else "png",
                      width=image.width, height=image.height, body=_encode(image, fmt),
                      thumbnail=_encode(thumbnail, fmt))


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Read only the header and refuse other formats and too many pixels before any decoding."""
    fmt = sniff_format(data)
    if fmt is None:
        raise DomainError("只能上传 JPEG、PNG 或 WebP 格式的照片", reason="unsupported_media_type", status=415)
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception as exc:
        raise _undecodable() from exc
    if image.width * image.height > max_pixels:
        raise _too_many_pixels()
    return image


def _pixels_to_store(image: Image.Image) -> tuple[Image.Image, str]:
    """PNG (RGBA) when some pixel is see-through, otherwise JPEG (RGB or greyscale)."""
    if image.has_transparency_data:
        image = image.convert("RGBA")
        if image.getchannel("A").getextrema()[0] < 255:
            return image, "PNG"
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return image, "JPEG"


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def _too_many_pixels() -> Unprocessable:
    return Unprocessable("照片分辨率过大，请压缩后再上传", reason="image_too_large")


def _undecodable() -> Unprocessable:
    return Unprocessable("照片文件已损坏或无法识别", reason="image_undecodable")


# --- reading ------------------------------------------------------------------------------------

def visible_photo(actor: Actor | None, media_id: int, *, thumbnail: bool = False) -> tuple[str, str]:
    """The storage key and content type of a photo (or its thumbnail) the actor may see.

    Any other photo is 404, whether or not it exists, so ids cannot be probed.
    """
    media = db.session.get(MediaFile, media_id)
    if media is None or not allowed("photo.view", actor, media=media):
        raise NotFound("照片不存在", reason="media_not_found")
    return (media.thumbnail_key if thumbnail else media.storage_key), media.content_type


def read_stored(key: str) -> bytes:
    """The bytes stored under a key."""
    with storage_for(current_app).open(key) as stored:
        return stored.read()


def may_view_photo(actor: Actor, media: MediaFile) -> bool:
    """The uploader and the attached object's viewers once the photo passed its check; until then (or
    when held for review) the uploader and the object's managers; a risky photo, the managers only."""
    if media.screening == "pass":
        return media.owner_id == actor.user_id or _attachment_allows(actor, media, "viewer")
    if media.screening != "risky" and media.owner_id == actor.user_id:
        return True
    return _attachment_allows(actor, media, "manager")


def may_manage_photo(actor: Actor, media: MediaFile) -> bool:
    """Whether the actor manages the object the photo is attached to (False when attached to nothing)."""
    return _attachment_allows(actor, media, "manager")


def _attachment_allows(actor: Actor, media: MediaFile, rule: str) -> bool:
    registered = _attachment_viewers.get(media.attached_type) if media.attached_type else None
    decide = getattr(registered, rule) if registered is not None else None
    return decide is not None and media.attached_id is not None and decide(actor, media.attached_id)
