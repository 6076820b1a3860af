"""Liveness, readiness and the vendored API-docs assets."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, send_from_directory
from flask.views import MethodView
from swagger_ui_bundle import swagger_ui_path

from backend.core.api import Blueprint
from backend.core.auth import require
from backend.extensions import db
from backend.system.schemas import HealthSchema

blp = Blueprint("system", __name__, description="Health checks")


@blp.route("/healthz")
class Health(MethodView):
    @require("public")
    @blp.response(200, HealthSchema)
    def get(self):
        """Liveness: the process answers."""
        return {"status": "ok", "checks": {}}


@blp.route("/readyz")
class Ready(MethodView):
    @require("public")
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A dependency is down")
    def get(self):
        """Readiness: the database and, when configured, Redis answer."""
        checks = {"database": _check_database()}
        redis = current_app.extensions.get("linli_redis")
        if redis is not None:
            checks["redis"] = _check_redis(redis)
        healthy = all(value == "ok" for value in checks.values())
        return {"status": "ok" if healthy else "unavailable", "checks": checks}, 200 if healthy else 503


@blp.route("/api/docs-assets/<path:filename>")
class DocsAssets(MethodView):
    @require("public")
    @blp.doc(summary="Swagger UI assets", description="Static files of the bundled Swagger UI.")
    def get(self, filename):
        """Serve the bundled Swagger UI files, so the docs page needs no CDN."""
        return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


def _check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception as exc:  # the message says which dependency failed, never a trace
        db.session.rollback()
        return f"error: {type(exc).__name__}"


def _check_redis(redis) -> str:
    try:
        redis.ping()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
