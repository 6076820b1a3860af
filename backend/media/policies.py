"""Who may see a photo (registered in `backend.core.policies`).

Being staff is not enough: a photo of a case is as private as the case, and a photo not yet attached
to anything is its uploader's alone. What a photo is attached to decides through the viewer its
feature registered (`backend.media.service.register_attachment_viewer`).
"""
from __future__ import annotations

from backend.core.policies import policy
from backend.extensions import db
from backend.media.models import MediaFile
from backend.media.service import may_manage_photo, may_view_photo


@policy("photo.view")
def _photo_view(actor, media: MediaFile | None = None, **_):
    """The uploader, and whoever may see the case or topic the photo is attached to (once its image check passed)."""
    if actor is None:
        return False
    if media is None:
        return True  # the service answers 404 for a photo the caller may not see
    return may_view_photo(actor, media)


@policy("photo.moderate")
def _photo_moderate(actor, media_id: int | None = None, **_):
    """Whoever manages the case or topic the photo is attached to (a committee for a topic's photos)."""
    if actor is None:
        return False
    media = db.session.get(MediaFile, media_id) if media_id is not None else None
    return media is None or may_manage_photo(actor, media)
