"""Bad request input is a clear 4xx in the error shape and changes nothing, however it is read:
JSON nested too deeply to decode, characters no database stores, bodies over the size limit."""
from __future__ import annotations

import marshmallow as ma
import pytest
from flask import request

from backend.core.api import Blueprint, RequestParser
from backend.core.fields import Text
from tests.factories import login, make_geography, make_household, make_invite, row_counts

DEEP_ARRAYS = b"[" * 5000 + b"]" * 5000
DEEP_OBJECTS = b'{"a":' * 2000 + b"1" + b"}" * 2000
DEEP_FIELD = b'{"nickname": ' + DEEP_ARRAYS + b"}"

ACCOUNT_WRITES = [("POST", "/api/v1/auth/wechat-login"), ("POST", "/api/v1/auth/refresh"),
                  ("POST", "/api/v1/auth/logout"), ("PATCH", "/api/v1/me"), ("POST", "/api/v1/me/phone"),
                  ("POST", "/api/v1/households/join")]


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS, DEEP_FIELD], ids=["arrays", "objects", "field"])
@pytest.mark.parametrize("method, path", ACCOUNT_WRITES)
def test_json_nested_too_deeply_is_the_malformed_json_400(make_app, method, path, body):
    app = make_app(TESTING=False)  # a RecursionError must surface as the 500 a client would see
    with app.app_context():
        client = app.test_client()
        headers = login(client, "alice")
        before = row_counts()
        malformed = client.open(path, method=method, data=b"{bad", content_type="application/json", headers=headers)
        response = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
        assert malformed.status_code == 400 and malformed.json["reason"] == "bad_request"
        assert response.status_code == 400 and response.json == malformed.json
        assert row_counts() == before
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # still logged in


def test_flask_get_json_treats_deep_nesting_as_malformed_json(make_app):
    app = make_app(TESTING=False)

    @app.post("/echo")
    def echo():
        return {"echo": request.get_json()}

    client = app.test_client()
    malformed = client.post("/echo", data=b"{bad", content_type="application/json")
    for body in (DEEP_ARRAYS, DEEP_OBJECTS):
        response = client.post("/echo", data=body, content_type="application/json")
        assert response.status_code == 400 and response.json == malformed.json
        assert response.json["reason"] == "bad_request"


def test_every_blueprint_reads_arguments_with_the_request_parser(app):
    plain = sorted(name for name, blueprint in app.blueprints.items()
                   if hasattr(blueprint, "arguments") and not isinstance(blueprint.ARGUMENTS_PARSER, RequestParser))
    assert plain == [], f"use backend.core.api.Blueprint (its RequestParser) in: {plain}"
    assert isinstance(Blueprint.ARGUMENTS_PARSER, RequestParser)


# --- a schema's fast path ---------------------------------------------------------------------------

def request_schemas(app):
    """(where, schema instance) for every schema an endpoint loads a request with."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        handlers = [getattr(view_class, method.lower(), None) for method in rule.methods] if view_class else [view]
        for handler in filter(None, handlers):
            for parameter in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = parameter["schema"]
                yield f"{rule.rule} {parameter['in']}", schema() if isinstance(schema, type) else schema


MAX_ID = 2**31 - 1
ID_LISTS = [[1], [7, 3], list(range(1, 21)), list(range(1, 22)), [], [MAX_ID], [MAX_ID + 1], [0], [-1], [1, 1],
            [True], [1, False], [1.0], [1.5], ["1"], [None], [[1]], [{"id": 1}], [10**30], [float("inf")]]
BODIES = ([{"option_ids": ids} for ids in ID_LISTS]
          + [{}, {"option_ids": None}, {"option_ids": "1"}, {"option_ids": 1}, {"option_ids": {"1": 1}},
             {"option_ids": [1], "extra": 1}, {"option_ids": [1], "option_ids_": [2]}, {"OPTION_IDS": [1]},
             [], [1], "option_ids", 1, None, True])


def test_every_fast_load_accepts_only_what_its_schema_accepts_and_alike(app):
    """A schema's `fast_load` may pass a body to the schema (None), never accept one the schema
    refuses or load it differently; and it does take the everyday body."""
    fast = [(where, schema) for where, schema in request_schemas(app) if hasattr(schema, "fast_load")]
    assert any("/ballots" in where for where, _ in fast)
    for where, schema in fast:
        taken = 0
        for body in BODIES:
            loaded = schema.fast_load(body)
            if loaded is None:
                continue
            taken += 1
            assert repr(loaded) == repr(schema.load(body)), (where, body)  # 1 == True, but not alike
        assert taken, f"{where}: fast_load took none of the bodies"


def test_a_ballot_body_skips_the_schema_and_a_bad_one_gets_its_422(make_app, monkeypatch):
    from backend.deliberations.schemas import BallotCastSchema

    loads = []
    real_load = ma.Schema.load
    monkeypatch.setattr(BallotCastSchema, "load", lambda self, *a, **k: loads.append(a) or real_load(self, *a, **k))
    app = make_app()
    client = app.test_client()
    with app.app_context():
        headers = login(client, "alice")
        ok = client.post("/api/v1/topics/424242/ballots", json={"option_ids": [1]}, headers=headers)
        assert ok.status_code == 404 and loads == []  # parsed by fast_load, then the topic is missing
        for body, field in [({"option_ids": ["1"]}, "option_ids"), ({"option_ids": [1], "x": 1}, "x"),
                            ({"option_ids": []}, "option_ids"), ([1], "_schema")]:
            bad = client.post("/api/v1/topics/424242/ballots", json=body, headers=headers)
            assert bad.status_code == 422 and bad.json["reason"] == "validation_error", body
            assert field in bad.json["errors"]["json"], bad.json
        assert len(loads) == 4
        malformed = client.post("/api/v1/topics/424242/ballots", data=b"{bad", content_type="application/json",
                                headers=headers)
        assert malformed.status_code == 400 and malformed.json["reason"] == "bad_request"
        as_text = client.post("/api/v1/topics/424242/ballots", data=b'{"option_ids": [1]}', content_type="text/plain",
                              headers=headers)
        assert as_text.status_code == 422 and "option_ids" in as_text.json["errors"]["json"]


# --- characters no database stores ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["a\x00b", "a\x01b", "a\x1bb", "a\x7fb", "a\x9bb", "\ud800", "a\udfffb"])
def test_text_refuses_control_characters_and_lone_surrogates(text):
    with pytest.raises(ma.ValidationError):
        Text().deserialize(text)


def test_text_trims_and_keeps_newlines_and_tabs():
    assert Text().deserialize("  第一行\n\t第二行\r\n ") == "第一行\n\t第二行"


def request_fields(app):
    """(where, field) for every field of every schema an endpoint loads a request with."""
    for where, schema in request_schemas(app):
        yield from _schema_fields(schema, where)


def _schema_fields(schema, where):
    for name, field in schema.fields.items():
        yield from _nested_fields(field, f"{where}.{name}")


def _nested_fields(field, where):
    if isinstance(field, ma.fields.Nested):
        yield from _schema_fields(field.schema, where)
    elif isinstance(field, ma.fields.List):
        yield from _nested_fields(field.inner, f"{where}[]")
    elif isinstance(field, ma.fields.Tuple):
        for index, item in enumerate(field.tuple_fields):
            yield from _nested_fields(item, f"{where}[{index}]")
    elif isinstance(field, ma.fields.Mapping):
        for part in (field.key_field, field.value_field):
            if part is not None:
                yield from _nested_fields(part, f"{where}{{}}")
    else:
        yield where, field


def test_every_string_a_request_carries_is_text(app):
    fields = list(request_fields(app))
    assert any(isinstance(field, Text) for _, field in fields)
    plain = sorted(where for where, field in fields
                   if isinstance(field, ma.fields.String) and not isinstance(field, Text))
    assert plain == [], "use backend.core.fields.Text for: " + ", ".join(plain)


@pytest.mark.parametrize("method, path, body", [
    ("PATCH", "/api/v1/me", b'{"nickname": "a\\u0000b"}'),
    ("PATCH", "/api/v1/me", b'{"real_name": "\\u674e\\u0001\\u6885"}'),
    ("PATCH", "/api/v1/me", b'{"nickname": "\\ud800"}'),
    ("POST", "/api/v1/households/join", b'{"invite_code": "ABCD\\u00002345"}'),
    ("POST", "/api/v1/me/phone", b'{"code": "dev:138\\u00001234567"}'),
    ("POST", "/api/v1/auth/refresh", b'{"refresh_token": "abc\\u0000"}'),
    ("POST", "/api/v1/auth/wechat-login", b'{"code": "dev:bob\\u0000"}'),
])
def test_unstorable_characters_are_422_and_change_nothing(make_app, method, path, body):
    app = make_app(TESTING=False)
    with app.app_context():
        make_invite(make_household(make_geography().grids[0]), code="ABCD2345")
        client = app.test_client()
        headers = login(client, "alice")
        me = client.get("/api/v1/me", headers=headers).json
        before = row_counts()
        response = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 422 and response.json["reason"] == "validation_error"
        assert response.json["errors"]["json"]
        assert row_counts() == before
        assert client.get("/api/v1/me", headers=headers).json == me


@pytest.mark.parametrize("key", ["k\x00", "k\x01y", "k\x7f"])
def test_an_idempotency_key_with_control_characters_is_400(client, key):
    headers = login(client, "alice")
    before = row_counts()
    response = client.post("/api/v1/me/phone", json={"code": "dev:13812345678"},
                           headers={**headers, "Idempotency-Key": key})
    assert response.status_code == 400 and response.json["reason"] == "invalid_idempotency_key"
    assert row_counts() == before and client.get("/api/v1/me", headers=headers).json["phone"] is None


# --- oversized bodies ---------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json"])
def test_a_body_over_the_limit_is_413_even_where_it_is_not_read(make_app, content_type):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    with app.app_context():
        client = app.test_client()
        headers = login(client, "alice")
        response = client.patch("/api/v1/me", data=b"x" * 2048, content_type=content_type, headers=headers)
        assert response.status_code == 413 and response.json["reason"] == "payload_too_large"
