"""Photo endpoints: upload, and the bytes of a photo or its thumbnail."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.core.auth import current_actor, require
from backend.core.idempotency import idempotent
from backend.media import service
from backend.media.schemas import IMAGE_BYTES, MediaSchema, UploadSchema

blp = Blueprint("media", __name__, url_prefix="/api/v1", description="Photo uploads (照片)")


@blp.route("/uploads")
class Uploads(MethodView):
    @require("authenticated")
    @idempotent
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, MediaSchema)
    @blp.alt_response(413, description="Larger than the upload limit (reason `file_too_large`)")
    @blp.alt_response(415, description="Not a JPEG, PNG or WebP by its content (reason `unsupported_media_type`)")
    def post(self, files):
        """Upload a photo; it is stored re-encoded, upright and without EXIF or GPS"""
        return service.store_photo(current_actor().user_id, files["file"].stream)


@blp.route("/media/<int:media_id>")
class MediaContent(MethodView):
    @require("photo.view")
    @blp.response(200, IMAGE_BYTES, content_type="image/jpeg", description="The photo (JPEG or PNG)")
    @blp.response(200, IMAGE_BYTES, content_type="image/png", description="The photo (JPEG or PNG)")
    def get(self, media_id):
        """A photo you uploaded or may see through what it is attached to"""
        return _image_response(*service.visible_photo(current_actor(), media_id))


@blp.route("/media/<int:media_id>/thumbnail")
class MediaThumbnail(MethodView):
    @require("photo.view")
    @blp.response(200, IMAGE_BYTES, content_type="image/jpeg", description="The thumbnail (JPEG or PNG)")
    @blp.response(200, IMAGE_BYTES, content_type="image/png", description="The thumbnail (JPEG or PNG)")
    def get(self, media_id):
        """A small copy of a photo, for lists; seen by the same people as the photo"""
        return _image_response(*service.visible_photo(current_actor(), media_id, thumbnail=True))


def _image_response(key: str, content_type: str):
    # The bytes are immutable per URL, but only for this user: private, never a shared cache.
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    accel = current_app.config["MEDIA_ACCEL_REDIRECT"]
    if accel:  # behind nginx: we authorised, nginx sends the file from its internal location
        return current_app.response_class(b"", mimetype=content_type, headers={**headers, "X-Accel-Redirect": accel + key})
    return current_app.response_class(service.read_stored(key), mimetype=content_type, headers=headers)
