"""Photo endpoints: upload, and the bytes of a photo or its thumbnail."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend.core.api import Blueprint
from backend.core.auth import current_actor, require
from backend.core.errors import Forbidden
from backend.core.idempotency import idempotent
from backend.media import screening, service
from backend.media.schemas import (IMAGE_BYTES, MediaCheckEventSchema, MediaSchema, PhotoModerationSchema,
                                   PhotoScreeningSchema, PublicLinkArgsSchema, PushCheckSchema, PushSignatureSchema,
                                   UploadSchema)
from backend.wechat.push import is_signed_push

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


@blp.route("/media/<int:media_id>/public")
class PublicMediaContent(MethodView):
    @require("public")  # authenticated by the signature in the link
    @blp.arguments(PublicLinkArgsSchema, location="query")
    @blp.response(200, IMAGE_BYTES, content_type="image/jpeg", description="The photo (JPEG or PNG)")
    @blp.response(200, IMAGE_BYTES, content_type="image/png", description="The photo (JPEG or PNG)")
    def get(self, args, media_id):
        """A photo through a signed link that expires within an hour, for WeChat's image check"""
        return _image_response(*screening.publicly_linked_photo(media_id, args["expires"], args["signature"]))


@blp.route("/media/<int:media_id>/screening")
class PhotoModeration(MethodView):
    @require("photo.moderate")
    @idempotent
    @blp.arguments(PhotoModerationSchema)
    @blp.response(200, PhotoScreeningSchema)
    def post(self, data, media_id):
        """Managers: pass or reject a photo the image check held for review"""
        return screening.moderate_photo(media_id, data["decision"])


@blp.route("/wechat/push")
class WeChatPush(MethodView):
    @require("public")  # authenticated by WeChat's signature
    @blp.arguments(PushCheckSchema, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/plain", description="`echostr`, echoed")
    @blp.alt_response(403, description="Not signed with the push token (reason `bad_signature`)")
    def get(self, args):
        """The console's check of the message push URL (消息推送): echo `echostr` when signed with the push token"""
        _check_push_signature(args)
        return current_app.response_class(args["echostr"], mimetype="text/plain")

    @require("public")  # authenticated by WeChat's signature
    @blp.arguments(PushSignatureSchema, location="query")
    @blp.arguments(MediaCheckEventSchema)
    @blp.response(200, {"type": "string"}, content_type="text/plain", description="`success`")
    @blp.alt_response(403, description="Not signed with the push token (reason `bad_signature`)")
    @blp.alt_response(404, description="No photo has this trace id (reason `unknown_trace_id`)")
    def post(self, args, event):
        """A pushed event in plaintext JSON; a `wxa_media_check` verdict is applied to its photo once"""
        _check_push_signature(args)
        if event["Event"] == "wxa_media_check":
            screening.apply_verdict(event["trace_id"], str(event["result"].get("suggest", "")))
        return current_app.response_class("success", mimetype="text/plain")


def _check_push_signature(args: dict) -> None:
    if not is_signed_push(current_app.config["WECHAT_PUSH_TOKEN"], args["signature"], args["timestamp"], args["nonce"]):
        raise Forbidden("消息推送签名无效", reason="bad_signature")


def _image_response(key: str, content_type: str):
    # The bytes are immutable per URL, but only for this user: private, never a shared cache.
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    accel = current_app.config["MEDIA_ACCEL_REDIRECT"]
    if accel:  # behind nginx: we authorised, nginx sends the file from its internal location
        return current_app.response_class(b"", mimetype=content_type, headers={**headers, "X-Accel-Redirect": accel + key})
    return current_app.response_class(service.read_stored(key), mimetype=content_type, headers=headers)
