"""Marshmallow fields shared by every feature's schemas."""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

MAX_ID = 2**31 - 1

# C0 and C1 control characters other than tab, newline and carriage return, and lone UTF-16
# surrogates (JSON's "\ud800" decodes to one; no database can encode it).
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class Id(ma.fields.Integer):
    """A reference to a row: a positive integer that fits the database's id column.

    Pass `strict=True` in JSON bodies (refuse "5" and 5.0); query strings are text, so not there.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class Text(ma.fields.String):
    """Text a client sent: surrounding blanks trimmed before length checks; control characters other
    than newlines and tabs, and lone surrogates, refused (PostgreSQL cannot store NUL, no database can
    encode a lone surrogate, and nobody types the rest).

    Every string a request carries (body, query string) is a `Text`, choices included
    (`Text(validate=validate.OneOf(...))`); a test walks every endpoint's schemas to keep it so.
    """

    default_error_messages = {"control": "不能包含控制字符或无效字符"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if UNSTORABLE.search(text):
            raise self.make_error("control")
        return text
