"""Schemas of the geography endpoints."""
from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import Id


class StreetSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    district_id = ma.fields.Integer()


class CommunitySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    street_id = ma.fields.Integer()


class GridSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    community_id = ma.fields.Integer()


class StaffOnDutySchema(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()
    on_duty = ma.fields.Boolean()
    skills = ma.fields.List(ma.fields.String())


class GridDetailSchema(GridSchema):
    community_code = ma.fields.String()
    community_name = ma.fields.String()
    street_id = ma.fields.Integer()
    street_code = ma.fields.String()
    street_name = ma.fields.String()
    boundary = ma.fields.Method("dump_boundary", metadata={"description": "GeoJSON Polygon (lng, lat)"})
    staff = ma.fields.List(ma.fields.Nested(StaffOnDutySchema))

    def dump_boundary(self, obj):
        return json.loads(obj["boundary"])


class LocationSchema(ma.Schema):
    grid = ma.fields.Nested(GridSchema)
    community = ma.fields.Nested(CommunitySchema)
    street = ma.fields.Nested(StreetSchema)


class LocateArgsSchema(ma.Schema):
    lat = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lng = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class CommunityFilterSchema(ma.Schema):
    street_id = Id()


class GridFilterSchema(ma.Schema):
    community_id = Id()
    street_id = Id()
