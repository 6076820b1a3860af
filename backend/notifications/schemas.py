"""Schemas of the inbox and subscription endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import Text


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    link = ma.fields.String(metadata={"description": "Mini-program page to open, e.g. pages/case/case?id=3"})
    subject_type = ma.fields.String(allow_none=True)
    subject_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class InboxArgsSchema(ma.Schema):
    unread = ma.fields.Boolean(load_default=False)


class InboxSummarySchema(ma.Schema):
    unread = ma.fields.Integer()


class SubscriptionsSchema(ma.Schema):
    template_ids = ma.fields.List(Text(validate=validate.Length(min=1, max=64)), required=True,
                                  validate=validate.Length(min=1, max=10),
                                  metadata={"description": "Templates the user accepted in wx.requestSubscribeMessage"})


class SubscriptionStateSchema(ma.Schema):
    templates = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                               metadata={"description": "Template id by notification kind, to request consent for"})
    consents = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              metadata={"description": "Messages still allowed, by template id"})
