"""Request and response schemas of the photo endpoints."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import validate

from backend.core.fields import Text

# The documented body of the byte-serving endpoints.
IMAGE_BYTES = {"type": "string", "format": "binary"}


class UploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "A JPEG, PNG or WebP photo (judged by its content)"})


class MediaSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.Function(lambda media: url_for("media.MediaContent", media_id=media.id),
                             metadata={"description": "The photo; needs the Authorization header"})
    thumbnail_url = ma.fields.Function(lambda media: url_for("media.MediaThumbnail", media_id=media.id),
                                       metadata={"description": "A small copy; needs the Authorization header"})
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    content_type = ma.fields.String(metadata={"description": "`image/jpeg`, or `image/png` when it has transparency"})
    size = ma.fields.Integer(metadata={"description": "Bytes of the stored photo"})


class PublicLinkArgsSchema(ma.Schema):
    # Lenient on purpose: a missing, expired or forged value is a 404 like any other bad link, not a 422
    # (control characters are still refused, as in every request).
    expires = Text(load_default="", metadata={"description": "Unix time the link stops working"})
    signature = Text(load_default="", metadata={"description": "HMAC of the photo id and `expires`"})


class PushSignatureSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # WeChat may add openid, encrypt_type, msg_signature

    signature = Text(required=True, metadata={"description": "sha1 of the sorted token, timestamp, nonce"})
    timestamp = Text(required=True)
    nonce = Text(required=True)


class PushCheckSchema(PushSignatureSchema):
    echostr = Text(required=True, metadata={"description": "Echoed back when the signature is right"})


class MediaCheckEventSchema(ma.Schema):
    """The pushed event, plaintext JSON; only `wxa_media_check` is acted on."""

    class Meta:
        unknown = ma.EXCLUDE

    Event = Text(load_default="")
    trace_id = Text(load_default="")
    result = ma.fields.Dict(load_default=dict, metadata={"description": "`suggest`: pass | review | risky; `label`"})


class PhotoModerationSchema(ma.Schema):
    decision = Text(required=True, validate=validate.OneOf(("pass", "risky")),
                    metadata={"description": "`pass` shows the photo; `risky` keeps it from residents"})


class PhotoScreeningSchema(ma.Schema):
    id = ma.fields.Integer()
    screening = ma.fields.String(metadata={"description": "pass | pending | review | risky"})
