"""Request and response schemas of the case endpoints."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from marshmallow import validate

from backend.cases.models import KINDS, STATUSES
from backend.cases.service import RETURN_REASONS
from backend.core.fields import Id, Text

VIEWS = ("mine", "assigned", "grid", "community", "street", "district", "escalated")
SKILL = validate.Regexp(r"^[a-z][a-z_]{1,31}$", error="技能代码须为小写字母和下划线")
CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error="分类代码须为小写字母、数字和下划线")


def _latitude(**kwargs):
    return ma.fields.Float(allow_nan=False, validate=validate.Range(min=-90, max=90), **kwargs)


def _longitude(**kwargs):
    return ma.fields.Float(allow_nan=False, validate=validate.Range(min=-180, max=180), **kwargs)


PHOTO_IDS = dict(validate=validate.Length(max=9), load_default=list,
                 metadata={"description": "Ids from POST /api/v1/uploads, uploaded by you, at most 9"})


# --- requests -----------------------------------------------------------------------------------

class CaseSubmitSchema(ma.Schema):
    kind = Text(required=True, validate=validate.OneOf(KINDS))
    category_code = Text(required=True, validate=CODE)
    description = Text(required=True, validate=validate.Length(min=2, max=1000))
    lat = _latitude(load_default=None, allow_none=True)
    lng = _longitude(load_default=None, allow_none=True)
    address = Text(load_default="", validate=validate.Length(max=200))
    photo_ids = ma.fields.List(Id(strict=True), **PHOTO_IDS)
    anonymous = ma.fields.Boolean(load_default=False, metadata={"description": "Hide who reported it, also from staff"})

    @ma.validates_schema
    def _point_together(self, data, **_):
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ma.ValidationError("经纬度须同时提供", "lat")


class NearbyArgsSchema(ma.Schema):
    category_code = Text(required=True, validate=CODE)
    lat = _latitude(required=True)
    lng = _longitude(required=True)


class CaseListArgsSchema(ma.Schema):
    view = Text(load_default="mine", validate=validate.OneOf(VIEWS), metadata={"description": (
        "`mine` reported or followed; `assigned` my tasks; `grid`/`community`/`street`/`district` cases where I hold"
        " that level's role; `escalated` cases escalated to my level (督办)")})
    status = Text(validate=validate.OneOf(STATUSES))
    open = ma.fields.Boolean(metadata={"description": "Only cases still being worked on (or only finished ones)"})
    kind = Text(validate=validate.OneOf(KINDS))
    category_code = Text(validate=CODE)
    overdue = ma.fields.Boolean()
    escalated = ma.fields.Boolean()
    grid_id = Id()
    community_id = Id()


class ReturnSchema(ma.Schema):
    reason = Text(required=True, validate=validate.OneOf(tuple(RETURN_REASONS)),
                  metadata={"description": "not_my_grid | needs_other_skill | other"})
    note = Text(load_default="", validate=validate.Length(max=500))


class ResolveSchema(ma.Schema):
    note = Text(required=True, validate=validate.Length(min=2, max=1000))
    photo_ids = ma.fields.List(Id(strict=True), **PHOTO_IDS)


class NoteSchema(ma.Schema):
    note = Text(load_default="", validate=validate.Length(max=500))


class ReopenSchema(ma.Schema):
    note = Text(required=True, validate=validate.Length(min=2, max=500),
                metadata={"description": "What is still wrong"})


class RateSchema(ma.Schema):
    score = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = Text(load_default="", validate=validate.Length(max=200))


class ReassignSchema(ma.Schema):
    assignee_id = Id(required=True, strict=True)
    note = Text(load_default="", validate=validate.Length(max=500))


class AvailabilityUpdateSchema(ma.Schema):
    away = ma.fields.Boolean(required=True)


class StatsArgsSchema(ma.Schema):
    since = ma.fields.AwareDateTime(default_timezone=timezone.utc,
                                    metadata={"description": "Cases submitted from (default: 30 days ago)"})
    until = ma.fields.AwareDateTime(default_timezone=timezone.utc, metadata={"description": "… until (default: now)"})


class CategoryArgsSchema(ma.Schema):
    kind = Text(validate=validate.OneOf(KINDS))
    include_inactive = ma.fields.Boolean(load_default=False, metadata={"description": "District admins only"})


class _CategoryRules(ma.Schema):
    name = Text(validate=validate.Length(min=1, max=40))
    description = Text(validate=validate.Length(max=200))
    requires_location = ma.fields.Boolean()
    requires_photo = ma.fields.Boolean()
    allows_anonymous = ma.fields.Boolean()
    skill = Text(allow_none=True, validate=SKILL)
    dedup_radius_m = ma.fields.Integer(strict=True, validate=validate.Range(min=0, max=5000))
    accept_minutes = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 60))
    resolve_hours = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=90 * 24))
    urgent = ma.fields.Boolean()
    active = ma.fields.Boolean()
    sort_order = ma.fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))


class CategoryCreateSchema(_CategoryRules):
    code = Text(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=40))
    kind = Text(validate=validate.OneOf(KINDS), metadata={"description": "Required for a group"})
    parent_code = Text(validate=CODE,
                       metadata={"description": "The group; omit to create a group"})


class CategoryPatchSchema(_CategoryRules):
    pass


# --- responses ----------------------------------------------------------------------------------

class CategorySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    kind = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    parent_code = ma.fields.Function(lambda c: c.parent.code if c.parent else None)
    requires_location = ma.fields.Boolean()
    requires_photo = ma.fields.Boolean()
    allows_anonymous = ma.fields.Boolean()
    skill = ma.fields.String(allow_none=True)
    dedup_radius_m = ma.fields.Integer()
    accept_minutes = ma.fields.Integer(metadata={"description": "Minutes to accept (响应时限)"})
    resolve_hours = ma.fields.Integer(metadata={"description": "Hours to resolve from submission (办结时限)"})
    urgent = ma.fields.Boolean()
    active = ma.fields.Boolean()
    sort_order = ma.fields.Integer()


class CategoryGroupSchema(CategorySchema):
    children = ma.fields.List(ma.fields.Nested(CategorySchema))


class PersonSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String(allow_none=True)
    role_text = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "Reporter's phone, to staff only"})


class PhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    thumbnail_url = ma.fields.String()


class PlaceSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()


class CategoryBriefSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    group_name = ma.fields.String()
    urgent = ma.fields.Boolean()


class RatingSchema(ma.Schema):
    score = ma.fields.Integer()
    comment = ma.fields.String()
    rated_at = ma.fields.DateTime()


class CaseSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    category = ma.fields.Nested(CategoryBriefSchema)
    status = ma.fields.String()
    status_text = ma.fields.String()
    description = ma.fields.String()
    address = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    anonymous = ma.fields.Boolean()
    grid = ma.fields.Nested(PlaceSchema, allow_none=True)
    community = ma.fields.Nested(PlaceSchema, allow_none=True)
    assignee = ma.fields.Nested(PersonSchema, allow_none=True)
    escalation_level = ma.fields.Integer(metadata={"description": "0 none, 1 grid leader, 2 community, 3 street (督办)"})
    overdue = ma.fields.Boolean()
    mine = ma.fields.Boolean(metadata={"description": "You reported it"})
    following = ma.fields.Boolean()
    thumbnail_url = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    accept_due_at = ma.fields.DateTime(allow_none=True)
    resolve_due_at = ma.fields.DateTime()


class EventSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    text = ma.fields.String(metadata={"description": "What the resident reads, e.g. 已派单给网格员张三"})
    note = ma.fields.String()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    actor = ma.fields.Nested(PersonSchema, allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    created_at = ma.fields.DateTime()
    decision = ma.fields.Dict(allow_none=True, metadata={"description": (
        "Staff only: routing decision (grid, rule, reason, candidates with why), or the detail of a return")})


class CaseDetailSchema(CaseSummarySchema):
    reporter = ma.fields.Nested(PersonSchema, allow_none=True, metadata={"description": (
        "The reporter: to themselves, and to staff unless the report is anonymous")})
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    follower_count = ma.fields.Integer()
    assigned_at = ma.fields.DateTime(allow_none=True)
    accepted_at = ma.fields.DateTime(allow_none=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    confirm_due_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    cancelled_at = ma.fields.DateTime(allow_none=True)
    reopen_count = ma.fields.Integer()
    rating = ma.fields.Nested(RatingSchema, allow_none=True)
    actions = ma.fields.List(ma.fields.String(), metadata={"description": "What you may do now, e.g. accept, confirm"})
    timeline = ma.fields.List(ma.fields.Nested(EventSchema))


class NearbyCaseSchema(ma.Schema):
    id = ma.fields.Integer()
    category_code = ma.fields.String()
    category_name = ma.fields.String()
    status = ma.fields.String()
    status_text = ma.fields.String()
    lat = ma.fields.Float(metadata={"description": "Rounded to 0.001° (about 100 m)"})
    lng = ma.fields.Float()
    distance_m = ma.fields.Integer(metadata={"description": "To the rounded point, in 10 m steps"})
    created_at = ma.fields.DateTime()
    follower_count = ma.fields.Integer()
    following = ma.fields.Boolean()


class AvailabilitySchema(ma.Schema):
    away = ma.fields.Boolean()
    away_since = ma.fields.DateTime(allow_none=True)
    missed_in_a_row = ma.fields.Integer()
    open_cases = ma.fields.Integer()


class StatsRowSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True)
    code = ma.fields.String(allow_none=True)
    name = ma.fields.String()
    cases = ma.fields.Integer()
    response_rate = ma.fields.Float(allow_none=True, metadata={"description": "响应率: assignments accepted within the limit"})
    responded_in_time = ma.fields.Integer()
    response_due = ma.fields.Integer()
    resolution_rate = ma.fields.Float(allow_none=True, metadata={"description": "解决率: resolved within the limit"})
    resolved_in_time = ma.fields.Integer()
    resolution_due = ma.fields.Integer()
    satisfaction_rate = ma.fields.Float(allow_none=True, metadata={"description": "满意率: ratings of 4 or 5"})
    satisfied = ma.fields.Integer()
    rated = ma.fields.Integer()
    median_accept_minutes = ma.fields.Float(allow_none=True)
    median_resolve_hours = ma.fields.Float(allow_none=True)


class StatsSchema(ma.Schema):
    since = ma.fields.DateTime()
    until = ma.fields.DateTime()
    overall = ma.fields.Nested(StatsRowSchema)
    communities = ma.fields.List(ma.fields.Nested(StatsRowSchema))
    grids = ma.fields.List(ma.fields.Nested(StatsRowSchema))
    workers = ma.fields.List(ma.fields.Nested(StatsRowSchema))
