"""How every endpoint reads its request: the Blueprint feature routes use, the webargs parser behind
`@blp.arguments`, Flask's JSON provider, and the body-size check.

Bad input is a 4xx that changes nothing: JSON nested too deeply to decode is malformed JSON (400),
exactly like `{bad`, not a RecursionError escaping as a 500; a declared body over
`MAX_CONTENT_LENGTH` is a 413 whether or not the endpoint reads its body.

Hot bodies. A request schema may define `fast_load(data)`: the loaded arguments when `data` (the
decoded JSON body) is the everyday valid case, checked by hand, else None. For such a body the
parser returns that result without webargs' location machinery and marshmallow, which cost a
ballot more CPU than the rest of its validation put together; any other body (a wrong type, an
unknown field, not JSON at all) goes through webargs and the schema as before, so every refusal
keeps its 4xx and wording. `tests/core/test_request_input.py` checks that each `fast_load` accepts
only what its schema accepts, with the same result.
"""
from __future__ import annotations

import flask_smorest
from flask import Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge


class RequestParser(FlaskParser):
    """webargs' Flask parser, where a body nested too deeply to decode is invalid JSON like any other,
    and a schema's `fast_load` takes the everyday valid body (see the module's docstring)."""

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        fast_load = getattr(argmap, "fast_load", None)
        if fast_load is not None and (location or self.location) == "json" and not kwargs.get("validate"):
            loaded = self._fast_load_json(fast_load, req if req is not None else request)
            if loaded is not None:
                return loaded
        return super().parse(argmap, req, location=location, **kwargs)

    @staticmethod
    def _fast_load_json(fast_load, req):
        if not is_json_request(req):
            return None
        try:
            data = webargs_core.parse_json(req.get_data(cache=True))
        except (ValueError, RecursionError):  # webargs' own parse answers it, with its 400
            return None
        return fast_load(data)

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

    @staticmethod
    def doc(**kwargs):
        """As flask-smorest's, for the OpenAPI document only: no wrapper runs at request time."""
        return _documenting(flask_smorest.Blueprint.doc(**kwargs))

    def alt_response(self, *args, **kwargs):
        """As flask-smorest's, for the OpenAPI document only: no wrapper runs at request time."""
        return _documenting(super().alt_response(*args, **kwargs))


def _documenting(decorator):
    """flask-smorest's documentation-only `decorator`, keeping what it writes into the view's
    `_apidoc` but not the wrapper it puts around the view. That wrapper only calls the view, and
    every layer costs each request a `current_app.ensure_sync` and a call, a few microseconds."""

    def apply(view):
        view._apidoc = decorator(view)._apidoc  # a deep copy with this decorator's part added
        return view

    return apply


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


def json_response(body: dict, status: int) -> Response:
    """What a route's `@blp.response(status, Schema)` answers for `body`, built directly: flask-smorest
    passes a returned Response through without the schema's dump. Only for a hot route whose body is
    already exactly what its schema dumps (its tests compare the two)."""
    response = current_app.json.response(body)
    response.status_code = status
    return response
