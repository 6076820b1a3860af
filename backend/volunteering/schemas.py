"""Request and response schemas of the volunteering endpoints."""
from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from marshmallow import validate

from backend.core.db import utcnow
from backend.core.fields import Id, Text

MAX_YEARS_AWAY = timedelta(days=3650)


def _near_today(value) -> None:
    """Refuse times more than ten years away (and any whose UTC form would not exist)."""
    try:
        far = abs(value - utcnow()) > MAX_YEARS_AWAY
    except OverflowError:
        far = True
    if far:
        raise ma.ValidationError("时间超出允许范围")


def Time(**kwargs):  # noqa: N802 - a field factory that reads like a field
    """An ISO-8601 time with an offset (a time without one is refused), within ten years of now."""
    return ma.fields.AwareDateTime(validate=_near_today, **kwargs)


def Latitude(**kwargs):  # noqa: N802
    return ma.fields.Float(allow_nan=False, validate=validate.Range(min=-90, max=90), **kwargs)


def Longitude(**kwargs):  # noqa: N802
    return ma.fields.Float(allow_nan=False, validate=validate.Range(min=-180, max=180), **kwargs)


def Skill():  # noqa: N802
    return Text(validate=validate.Length(min=1, max=20))


WHEN = validate.OneOf(("upcoming", "past", "all"))


# --- requests -----------------------------------------------------------------------------------

class ShiftInSchema(ma.Schema):
    starts_at = Time(required=True)
    ends_at = Time(required=True)
    capacity = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))
    waitlist = ma.fields.Boolean(load_default=True, metadata={"description": "Waitlist when full (else 409 shift_full)"})
    place = Text(load_default="", validate=validate.Length(max=100))
    lat = Latitude(load_default=None, allow_none=True)
    lng = Longitude(load_default=None, allow_none=True)
    skills = ma.fields.List(Skill(), load_default=list, validate=validate.Length(max=10))
    min_age = ma.fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=100))
    signup_deadline = Time(load_default=None, allow_none=True,
                           metadata={"description": "Default: the start"})
    cancel_cutoff = Time(load_default=None, allow_none=True,
                         metadata={"description": "Cancelling later counts as a late cancellation; default: 24 h before the start"})


class ActivityCreateSchema(ma.Schema):
    title = Text(required=True, validate=validate.Length(min=2, max=60))
    description = Text(load_default="", validate=validate.Length(max=2000))
    community_id = Id(required=True, strict=True)
    team_id = Id(load_default=None, allow_none=True, strict=True,
                 metadata={"description": "The organising team (its organisers may then manage the activity)"})
    publish = ma.fields.Boolean(load_default=True, metadata={"description": "False keeps it a draft"})
    shifts = ma.fields.List(ma.fields.Nested(ShiftInSchema), required=True, validate=validate.Length(min=1, max=20))


class ActivityPatchSchema(ma.Schema):
    title = Text(validate=validate.Length(min=2, max=60))
    description = Text(validate=validate.Length(max=2000))


class ActivityCancelSchema(ma.Schema):
    reason = Text(load_default="", validate=validate.Length(max=200))


class ShiftPatchSchema(ma.Schema):
    starts_at = Time(metadata={"description": "Until the shift starts; everyone signed up is told, reminders follow"})
    ends_at = Time()
    capacity = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000),
                                 metadata={"description": "May grow; never below the confirmed sign-ups"})
    waitlist = ma.fields.Boolean()
    place = Text(validate=validate.Length(max=100), metadata={"description": "A change is told to everyone signed up"})
    lat = Latitude(allow_none=True)
    lng = Longitude(allow_none=True)
    skills = ma.fields.List(Skill(), validate=validate.Length(max=10))
    min_age = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=100))
    signup_deadline = Time(metadata={"description": "Default when the start moves: as far before it as before"})
    cancel_cutoff = Time(metadata={"description": "Default when the start moves: as far before it as before"})


class ActivityListArgsSchema(ma.Schema):
    community_id = Id()
    when = Text(load_default="upcoming", validate=WHEN)
    managed = ma.fields.Boolean(load_default=False, metadata={"description": "Only activities I run (drafts included)"})
    status = Text(validate=validate.OneOf(("draft", "published", "cancelled")))


class MySignupsArgsSchema(ma.Schema):
    when = Text(load_default="upcoming", validate=WHEN)


class CheckinSchema(ma.Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=64),
                metadata={"description": "The scanned text (or the `scene` of the mini-program code)"})
    lat = Latitude(load_default=None, allow_none=True)
    lng = Longitude(load_default=None, allow_none=True)
    shift_id = Id(load_default=None, allow_none=True, strict=True,
                  metadata={"description": "The shift the volunteer means to check in to, if known"})


class TeamCreateSchema(ma.Schema):
    community_id = Id(required=True, strict=True)
    name = Text(required=True, validate=validate.Length(min=2, max=60))
    kind = Text(load_default="team", validate=validate.OneOf(("team", "social_org")),
                metadata={"description": "`team` (志愿队) or `social_org` (社会组织)"})
    description = Text(load_default="", validate=validate.Length(max=500))
    organiser_ids = ma.fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=20))


class TeamMemberInSchema(ma.Schema):
    user_id = Id(required=True, strict=True)
    is_organiser = ma.fields.Boolean(load_default=False)


class TeamsArgsSchema(ma.Schema):
    community_id = Id()


class SettingsPatchSchema(ma.Schema):
    points_per_hour = ma.fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))
    checkin_radius_m = ma.fields.Integer(strict=True, validate=validate.Range(min=50, max=20_000))


class UserRefSchema(ma.Schema):
    user_id = Id(required=True, strict=True)


class HonourHoursInSchema(ma.Schema):
    community_id = Id(required=True, strict=True)
    hours = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0.1, max=1000))
    reason = Text(required=True, validate=validate.Length(min=2, max=200))


class BonusPointsInSchema(ma.Schema):
    community_id = Id(required=True, strict=True)
    points = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    reason = Text(required=True, validate=validate.Length(min=2, max=200))


class RewardCreateSchema(ma.Schema):
    community_id = Id(required=True, strict=True)
    name = Text(required=True, validate=validate.Length(min=1, max=40))
    description = Text(load_default="", validate=validate.Length(max=500))
    points = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    stock = ma.fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=100_000))


class RewardPatchSchema(ma.Schema):
    name = Text(validate=validate.Length(min=1, max=40))
    description = Text(validate=validate.Length(max=500))
    points = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=1_000_000))
    active = ma.fields.Boolean()
    add_stock = ma.fields.Integer(strict=True, validate=validate.Range(min=-100_000, max=100_000),
                                  metadata={"description": "Stock to add (or remove, if negative); never below zero"})


class RewardsArgsSchema(ma.Schema):
    community_id = Id()
    include_inactive = ma.fields.Boolean(load_default=False, metadata={"description": "Managers only"})


class CollectSchema(ma.Schema):
    pickup_code = Text(required=True, validate=validate.Length(min=4, max=16))


class ShopRedemptionsArgsSchema(ma.Schema):
    community_id = Id(required=True)
    status = Text(validate=validate.OneOf(("pending", "collected", "cancelled")))


class LeaderboardArgsSchema(ma.Schema):
    community_id = Id(required=True)
    by = Text(load_default="hours", validate=validate.OneOf(("hours", "points")))


# --- responses ----------------------------------------------------------------------------------

class MySignupBriefSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    position = ma.fields.Integer(allow_none=True)


class ShiftSchema(ma.Schema):
    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    place = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    capacity = ma.fields.Integer()
    confirmed = ma.fields.Integer()
    places_left = ma.fields.Integer()
    waitlist = ma.fields.Boolean()
    waitlist_length = ma.fields.Integer()
    skills = ma.fields.List(ma.fields.String())
    min_age = ma.fields.Integer(allow_none=True)
    signup_deadline = ma.fields.DateTime()
    cancel_cutoff = ma.fields.DateTime()
    status = ma.fields.String(metadata={"description": "open, waitlist, full, closed, started, ended or cancelled"})
    my_signup = ma.fields.Nested(MySignupBriefSchema, allow_none=True)


class ActivitySchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    community_id = ma.fields.Integer()
    community_name = ma.fields.String()
    team_id = ma.fields.Integer(allow_none=True)
    team_name = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "draft, published or cancelled"})
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    shift_count = ma.fields.Integer()
    places_left = ma.fields.Integer()
    published_at = ma.fields.DateTime(allow_none=True)
    cancelled_at = ma.fields.DateTime(allow_none=True)
    cancel_reason = ma.fields.String()
    created_at = ma.fields.DateTime()


class ActivityDetailSchema(ActivitySchema):
    shifts = ma.fields.List(ma.fields.Nested(ShiftSchema))
    can_manage = ma.fields.Boolean()


class AttendanceSchema(ma.Schema):
    id = ma.fields.Integer()
    signup_id = ma.fields.Integer()
    shift_id = ma.fields.Integer()
    checked_in_at = ma.fields.DateTime()
    checkin_method = ma.fields.String(metadata={"description": "scan or manual"})
    checked_out_at = ma.fields.DateTime(allow_none=True)
    checkout_method = ma.fields.String(allow_none=True, metadata={"description": "scan, manual or auto"})
    checkout_missing = ma.fields.Boolean(metadata={"description": "No check-out: hours counted to the shift's end"})
    closed_at = ma.fields.DateTime(allow_none=True)
    hours = ma.fields.Float(allow_none=True)
    points = ma.fields.Integer(allow_none=True)


class SignupSchema(ma.Schema):
    id = ma.fields.Integer()
    shift_id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    place = ma.fields.String()
    status = ma.fields.String(metadata={"description": "confirmed, waitlisted or cancelled"})
    position = ma.fields.Integer(allow_none=True, metadata={"description": "Place on the waitlist, 1 = next"})
    cancel_kind = ma.fields.String(allow_none=True, metadata={"description": "self, late, removed or activity_cancelled"})
    created_at = ma.fields.DateTime()
    confirmed_at = ma.fields.DateTime(allow_none=True)
    promoted_at = ma.fields.DateTime(allow_none=True)
    cancelled_at = ma.fields.DateTime(allow_none=True)
    attendance = ma.fields.Nested(AttendanceSchema, allow_none=True)


class VolunteerSchema(ma.Schema):
    user_id = ma.fields.Integer()
    nickname = ma.fields.String()
    real_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "Masked"})


class RosterEntrySchema(SignupSchema):
    volunteer = ma.fields.Nested(VolunteerSchema)
    no_show = ma.fields.Boolean()


class CheckinResultSchema(ma.Schema):
    action = ma.fields.String(metadata={"description": "checked_in or checked_out"})
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()
    shift_id = ma.fields.Integer()
    attendance = ma.fields.Nested(AttendanceSchema)


class CheckinCodeSchema(ma.Schema):
    shift_id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "Show as a QR code; also the mini-program code's scene"})
    rotates_at = ma.fields.DateTime(metadata={"description": "Fetch the next code at this time"})
    expires_at = ma.fields.DateTime(metadata={"description": "This code is refused after this time"})
    page = ma.fields.String(metadata={"description": "The page the mini-program code opens"})
    image = ma.fields.String(allow_none=True,
                             metadata={"description": "data:image/png;base64,… mini-program code, when WeChat is configured"})


class TeamMemberSchema(ma.Schema):
    user_id = ma.fields.Integer()
    nickname = ma.fields.String()
    is_organiser = ma.fields.Boolean()
    joined_at = ma.fields.DateTime()


class TeamSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    description = ma.fields.String()
    created_at = ma.fields.DateTime()
    members = ma.fields.List(ma.fields.Nested(TeamMemberSchema))


class KeeperSchema(ma.Schema):
    user_id = ma.fields.Integer()
    nickname = ma.fields.String()


class SettingsSchema(ma.Schema):
    community_id = ma.fields.Integer()
    points_per_hour = ma.fields.Integer()
    checkin_radius_m = ma.fields.Integer()
    shop_keepers = ma.fields.List(ma.fields.Nested(KeeperSchema))


class HoursEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "service or honour"})
    hours = ma.fields.Float()
    reason = ma.fields.String()
    created_at = ma.fields.DateTime()


class PointsEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    community_id = ma.fields.Integer(allow_none=True)
    amount = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "service, bonus, redemption or refund"})
    note = ma.fields.String()
    created_at = ma.fields.DateTime()


class NextStarSchema(ma.Schema):
    level = ma.fields.Integer()
    hours = ma.fields.Integer()
    hours_to_go = ma.fields.Float()


class RecordSchema(ma.Schema):
    upcoming = ma.fields.Integer()
    attended = ma.fields.Integer()
    no_shows = ma.fields.Integer()
    late_cancellations = ma.fields.Integer()


class HistoryEntrySchema(ma.Schema):
    kind = ma.fields.String()
    hours = ma.fields.Float()
    reason = ma.fields.String()
    activity_id = ma.fields.Integer(allow_none=True)
    activity_title = ma.fields.String()
    shift_starts_at = ma.fields.DateTime(allow_none=True)
    checkout_missing = ma.fields.Boolean()
    manual = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class MyVolunteeringSchema(ma.Schema):
    credited_hours = ma.fields.Float(metadata={"description": "Service hours from check-ins"})
    honour_hours = ma.fields.Float(metadata={"description": "Hours granted by hand (荣誉时长), shown apart"})
    points_balance = ma.fields.Integer()
    points_earned = ma.fields.Integer()
    points_spent = ma.fields.Integer()
    star_level = ma.fields.Integer(metadata={"description": "0–5 (星级)"})
    next_star = ma.fields.Nested(NextStarSchema, allow_none=True)
    record = ma.fields.Nested(RecordSchema)
    history = ma.fields.List(ma.fields.Nested(HistoryEntrySchema))


class RewardSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    name = ma.fields.String()
    description = ma.fields.String()
    points = ma.fields.Integer()
    stock = ma.fields.Integer()
    active = ma.fields.Boolean()


class RedemptionSchema(ma.Schema):
    id = ma.fields.Integer()
    reward_id = ma.fields.Integer()
    reward_name = ma.fields.String()
    community_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    nickname = ma.fields.String()
    points = ma.fields.Integer()
    pickup_code = ma.fields.String(metadata={"description": "Full for the volunteer; masked in the shop's list"})
    status = ma.fields.String(metadata={"description": "pending, collected or cancelled"})
    created_at = ma.fields.DateTime()
    collected_at = ma.fields.DateTime(allow_none=True)
    cancelled_at = ma.fields.DateTime(allow_none=True)


class LeaderEntrySchema(ma.Schema):
    rank = ma.fields.Integer(allow_none=True)
    user_id = ma.fields.Integer()
    nickname = ma.fields.String()
    avatar_url = ma.fields.String()
    hours = ma.fields.Float()
    points = ma.fields.Integer()


class LeaderboardSchema(ma.Schema):
    community_id = ma.fields.Integer()
    by = ma.fields.String()
    entries = ma.fields.List(ma.fields.Nested(LeaderEntrySchema))
    me = ma.fields.Nested(LeaderEntrySchema, allow_none=True)
