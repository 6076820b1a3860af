"""One error shape for every failure: `{code, status, message, errors?, reason?}`.

Services raise `DomainError` subclasses; HTTP errors (404, 405, 413, validation 422, 500 …)
from Flask, Werkzeug and webargs pass through the same handler, so a client never sees HTML.
"""
from __future__ import annotations

import logging
from http import HTTPStatus

import marshmallow as ma
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

# Messages a resident can read, by status, when the raiser gave none.
DEFAULT_MESSAGES = {
    400: "请求格式有误",
    401: "请先登录",
    403: "没有权限执行此操作",
    404: "未找到请求的内容",
    405: "不支持该请求方法",
    409: "当前状态不允许此操作",
    412: "内容已被他人修改，请刷新后重试",
    413: "提交的内容过大",
    415: "不支持的文件类型",
    422: "提交的内容有误，请检查后重试",
    428: "缺少必要的请求条件",
    429: "操作太频繁，请稍后再试",
    500: "服务器开小差了，请稍后再试",
    502: "上游服务出错，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
}

DEFAULT_REASONS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class DomainError(Exception):
    """A rule of the domain refused the request; carries the HTTP status and a stable reason."""

    status = 400
    reason = "bad_request"
    message = DEFAULT_MESSAGES[400]

    def __init__(self, message: str | None = None, *, reason: str | None = None,
                 status: int | None = None, errors: dict | None = None, headers: dict | None = None):
        self.message = message or self.message
        self.reason = reason or self.reason
        self.status = status or self.status
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.message)


class Unauthorized(DomainError):
    status, reason, message = 401, "unauthorized", DEFAULT_MESSAGES[401]


class Forbidden(DomainError):
    status, reason, message = 403, "forbidden", DEFAULT_MESSAGES[403]


class NotFound(DomainError):
    status, reason, message = 404, "not_found", DEFAULT_MESSAGES[404]


class Conflict(DomainError):
    status, reason, message = 409, "conflict", DEFAULT_MESSAGES[409]


class InvalidTransition(Conflict):
    reason, message = "invalid_transition", "当前状态不允许此操作"


class Unprocessable(DomainError):
    status, reason, message = 422, "validation_error", DEFAULT_MESSAGES[422]


class ServiceUnavailable(DomainError):
    status, reason, message = 503, "unavailable", DEFAULT_MESSAGES[503]


class ErrorSchema(ma.Schema):
    """The error payload every endpoint returns on failure."""

    code = ma.fields.Integer(metadata={"description": "HTTP status code"})
    status = ma.fields.String(metadata={"description": "HTTP status name"})
    message = ma.fields.String(metadata={"description": "Readable message (Chinese)"})
    reason = ma.fields.String(metadata={"description": "Stable machine reason, snake_case"})
    errors = ma.fields.Dict(metadata={"description": "Field errors, by location then field"})


def error_payload(code: int, message: str | None = None, reason: str | None = None,
                  errors: dict | None = None) -> dict:
    """Build the agreed error body."""
    try:
        name = HTTPStatus(code).phrase
    except ValueError:
        name = "Error"
    payload = {"code": code, "status": name,
               "message": message or DEFAULT_MESSAGES.get(code, name),
               "reason": reason or DEFAULT_REASONS.get(code, "error")}
    if errors:
        payload["errors"] = errors
    return payload


class LinliApi(Api):
    """flask-smorest's Api with Linli's error shape and Chinese default messages."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, handle_domain_error)
        self._app.register_error_handler(Exception, handle_unexpected_error)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        message = data.get("message")
        if error.code == 500:
            # Whatever was attached to a 500 is internal detail; never show it.
            message, errors = None, None
        elif errors and not message:
            message = DEFAULT_MESSAGES.get(error.code)
        payload = error_payload(error.code or 500, message, data.get("reason"), errors)
        headers = dict(data.get("headers") or {})
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return payload, error.code, headers


def handle_domain_error(error: DomainError):
    """Turn a domain error into the JSON error shape."""
    return error_payload(error.status, error.message, error.reason, error.errors), error.status, error.headers


def handle_unexpected_error(error: Exception):
    """Log an unexpected error and answer with a plain 500, no stack trace."""
    if isinstance(error, HTTPException):  # pragma: no cover - Flask routes these to the HTTP handler
        raise error
    log.exception("unhandled error", exc_info=error)
    return error_payload(500), 500


__all__ = [
    "DomainError", "Unauthorized", "Forbidden", "NotFound", "Conflict", "InvalidTransition",
    "Unprocessable", "ServiceUnavailable", "ErrorSchema", "LinliApi", "error_payload",
    "InternalServerError",
]
