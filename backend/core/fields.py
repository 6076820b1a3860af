"""Marshmallow fields shared by every feature's schemas."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

MAX_ID = 2**31 - 1


class Id(ma.fields.Integer):
    """A reference to a row: a positive integer that fits the database's id column.

    Pass `strict=True` in JSON bodies (refuse "5" and 5.0); query strings are text, so not there.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class Text(ma.fields.String):
    """Text a person typed: surrounding blanks trimmed before length checks; control characters
    other than newlines and tabs refused (PostgreSQL cannot store NUL, and nobody types the rest)."""

    default_error_messages = {"control": "不能包含控制字符"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
            raise self.make_error("control")
        return text
