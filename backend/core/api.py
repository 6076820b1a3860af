"""How every endpoint reads its request: the Blueprint feature routes use, the webargs parser behind
`@blp.arguments`, Flask's JSON provider, and the body-size check.

Bad input is a 4xx that changes nothing: JSON nested too deeply to decode is malformed JSON (400),
exactly like `{bad`, not a RecursionError escaping as a 500; a declared body over
`MAX_CONTENT_LENGTH` is a 413 whether or not the endpoint reads its body.
"""
from __future__ import annotations

import flask_smorest
from flask import request
from flask.json.provider import DefaultJSONProvider
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge


class RequestParser(FlaskParser):
    """webargs' Flask parser, where a body nested too deeply to decode is invalid JSON like any other."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError as exc:  # json.loads gives up at the interpreter's recursion limit
            self._handle_invalid_json_error(exc, req)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint parsing arguments with `RequestParser`: every feature's routes use it."""

    ARGUMENTS_PARSER = RequestParser()

    def arguments(self, schema, *args, **kwargs):
        """As flask-smorest's, with a schema class instantiated once, here: given a class, webargs
        builds a new instance of it on every request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON (`request.get_json`, responses): Chinese kept readable, keys in schema order, and
    too-deep nesting a decode error, which Flask answers with its malformed-JSON 400."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply to decode") from None


def refuse_oversized_body() -> None:
    """Answer 413 before any view runs when the declared body is larger than the app accepts.

    Werkzeug enforces the limit only when a view reads the body, so an endpoint that ignores its
    body, or a content type no parser reads, would otherwise act on a request it should refuse.
    """
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
