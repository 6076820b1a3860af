"""Request and response schemas of the photo endpoints."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload

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
