"""Schemas of the system endpoints."""
import marshmallow as ma


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"description": "`ok` or `unavailable`"})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
