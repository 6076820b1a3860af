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
