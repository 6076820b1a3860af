"""Request and response schemas of accounts endpoints."""
from __future__ import annotations

import re
from datetime import datetime

import marshmallow as ma
from marshmallow import validate

from backend.accounts.service import MAX_AGE_YEARS, age_on
from backend.core.fields import Id, Text
from backend.grids.service import local_tz


class WeChatLoginSchema(ma.Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=128),
                metadata={"description": "`wx.login` code, or `dev:<openid>` under dev login"})


class RefreshSchema(ma.Schema):
    refresh_token = Text(required=True, validate=validate.Length(min=1, max=256))


class LogoutSchema(ma.Schema):
    """Logout takes no fields: send no body or `{}`; anything else is refused like in any request."""


class PhoneCodeSchema(ma.Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=128),
                metadata={"description": "`e.detail.code` from a getPhoneNumber button"})


class BirthDate(ma.fields.Date):
    """A birth date as `YYYY-MM-DD` (null clears it): not after today in the district, and of someone
    not older than MAX_AGE_YEARS (a typo, not a resident)."""

    default_error_messages = {"invalid": "出生日期格式应为 YYYY-MM-DD", "future": "出生日期不能晚于今天",
                              "too_old": f"出生日期有误：年龄不能超过 {MAX_AGE_YEARS} 周岁"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.make_error("invalid")
        born = super()._deserialize(value, attr, data, **kwargs)
        today = datetime.now(local_tz()).date()
        if born > today:
            raise self.make_error("future")
        if age_on(born, today) > MAX_AGE_YEARS:
            raise self.make_error("too_old")
        return born


class ProfilePatchSchema(ma.Schema):
    nickname = Text(validate=validate.Length(max=32))
    avatar_url = Text(validate=[validate.Length(max=512),
                                validate.Regexp(r"^(https://\S+)?$", error="头像地址必须是 https 链接")])
    real_name = Text(validate=validate.Length(max=32))
    birth_date = BirthDate(allow_none=True, metadata={"description": "YYYY-MM-DD, or null to clear; "
                                                                     "shifts with a minimum age need it"})


class RoleSchema(ma.Schema):
    role = ma.fields.String()
    scope_type = ma.fields.String()
    scope_id = ma.fields.Integer()
    scope_code = ma.fields.String()
    scope_name = ma.fields.String()


class HouseholdBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    address = ma.fields.String()
    building = ma.fields.String()
    grid_id = ma.fields.Integer()
    grid_code = ma.fields.String()
    grid_name = ma.fields.String()
    community_id = ma.fields.Integer()
    community_name = ma.fields.String()


class MeSchema(ma.Schema):
    id = ma.fields.Integer()
    nickname = ma.fields.String()
    avatar_url = ma.fields.String()
    real_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "Full for the owner"})
    birth_date = ma.fields.Date(allow_none=True, metadata={"description": "Owner only, never shown to others"})
    roles = ma.fields.List(ma.fields.Nested(RoleSchema))
    household = ma.fields.Nested(HouseholdBriefSchema, allow_none=True)
    verified = ma.fields.Boolean(metadata={"description": "A verified member of a household"})
    created_at = ma.fields.DateTime()


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "Access token lifetime, seconds"})
    refresh_expires_in = ma.fields.Integer()
    user = ma.fields.Nested(MeSchema)


class JoinHouseholdSchema(ma.Schema):
    invite_code = Text(required=True, validate=validate.Length(min=4, max=32))


class HouseholdCreateSchema(ma.Schema):
    grid_id = Id(required=True, strict=True)
    address = Text(required=True, validate=validate.Length(min=2, max=200))
    building = Text(load_default="", validate=validate.Length(max=40))


class InviteCreateSchema(ma.Schema):
    max_uses = ma.fields.Integer(load_default=6, strict=True, validate=validate.Range(min=1, max=20))
    valid_days = ma.fields.Integer(load_default=7, strict=True, validate=validate.Range(min=1, max=90))


class InviteSchema(ma.Schema):
    code = ma.fields.String()
    household_id = ma.fields.Integer()
    max_uses = ma.fields.Integer()
    uses = ma.fields.Integer()
    expires_at = ma.fields.DateTime()


class MemberSchema(ma.Schema):
    user_id = ma.fields.Integer()
    nickname = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "Masked unless owner or authorised staff"})
    verified = ma.fields.Boolean()
    joined_at = ma.fields.DateTime()


class HouseholdSchema(HouseholdBriefSchema):
    members = ma.fields.List(ma.fields.Nested(MemberSchema))
    created_at = ma.fields.DateTime()
