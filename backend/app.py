"""The application factory."""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from backend import config as settings
from backend.core import jobs
from backend.core.api import JSONProvider, refuse_oversized_body
from backend.core.db import ping_when_idle
from backend.extensions import api, db

API_SETTINGS = {
    "API_TITLE": "Linli 邻里 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # Served from the vendored swagger-ui-bundle package: no CDN.
    "OPENAPI_SWAGGER_UI_URL": "/api/docs-assets/",
    "API_SPEC_OPTIONS": {
        "info": {"description": "社区治理平台「邻里」的 HTTP API。Errors are `{code, status, message, errors?, reason?}`."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    },
}


def create_app(config_overrides: dict | None = None) -> Flask:
    """Create the Linli Flask app from the environment, then `config_overrides`."""
    app = Flask(__name__, instance_path=str(settings.ROOT / "instance"))
    app.config.update(API_SETTINGS)
    app.config.update(settings.from_environment())
    app.config.update(config_overrides or {})
    settings.check(app.config)
    app.json = JSONProvider(app)
    logging.basicConfig(level=app.config["LOG_LEVEL"])

    app.url_map.converters["int"] = IdConverter
    _prepare_sqlite_directory(app)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        else:
            ping_when_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE"])
    api.init_app(app)
    api.register_converter(IdConverter, IdConverter.openapi_schema)
    _init_queue(app)
    _init_wechat(app)
    _register_blueprints()
    app.before_request(refuse_oversized_body)
    app.after_request(_run_inline_jobs)
    from backend.cli import register_commands

    register_commands(app)
    return app


class IdConverter(IntegerConverter):
    """`<int:…>` in paths: a positive id that fits the database's integer column, else 404."""

    MAX = 2**31 - 1

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", self.MAX)
        super().__init__(map, *args, **kwargs)

    @staticmethod
    def openapi_schema(converter) -> dict:
        return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


def _register_blueprints() -> None:
    from backend.features import feature_modules
    from backend.models import load_all_models

    load_all_models()
    feature_modules("policies")
    feature_modules("jobs")  # registers periodic sweeps
    for routes in feature_modules("routes"):
        api.register_blueprint(routes.blp)


def _prepare_sqlite_directory(app: Flask) -> None:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Enforce foreign keys, use WAL so readers don't block the writer, and wait on locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _init_queue(app: Flask) -> None:
    """Bind an RQ queue when REDIS_URL is set; otherwise jobs run in-process."""
    if not app.config["REDIS_URL"]:
        app.extensions["linli_redis"] = None
        app.extensions["linli_queue"] = None
        return
    from redis import Redis
    from rq import Queue

    redis = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
    app.extensions["linli_redis"] = redis
    app.extensions["linli_queue"] = Queue(app.config.get("RQ_QUEUE", "default"), connection=redis)


def _init_wechat(app: Flask) -> None:
    from backend.wechat import client_from_config

    app.extensions["wechat"] = client_from_config(app.config, redis=app.extensions["linli_redis"])


def _run_inline_jobs(response):
    jobs.drain()
    return response
