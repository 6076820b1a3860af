"""Who may see a photo (registered in `backend.core.policies`).

Being staff is not enough: a photo of a case is as private as the case, and a photo not yet attached
to anything is its uploader's alone. What a photo is attached to decides through the viewer its
feature registered (`backend.media.service.register_attachment_viewer`).
"""
from __future__ import annotations

from backend.core.policies import policy
from backend.media.models import MediaFile
from backend.media.service import attachment_allows_view


@policy("photo.view")
def _photo_view(actor, media: MediaFile | None = None, **_):
    """The uploader, and whoever may see the case or topic the photo is attached to."""
    if actor is None:
        return False
    if media is None:
        return True  # the service answers 404 for a photo the caller may not see
    return media.owner_id == actor.user_id or attachment_allows_view(actor, media.attached_type, media.attached_id)
