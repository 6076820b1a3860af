"""Settings from environment variables, with safe embedded defaults.

This is the only module that reads the environment. Everything else reads `app.config`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "linli-embedded-dev-secret-do-not-use-in-production"


class ConfigError(RuntimeError):
    """The settings are unsafe or inconsistent; the app refuses to start."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(env: dict[str, str] | None = None) -> dict:
    """Build the settings mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    linli_env = env.get("LINLI_ENV", "development")
    production = linli_env == "production"
    instance = Path(env.get("LINLI_INSTANCE", ROOT / "instance"))
    return {
        "LINLI_ENV": linli_env,
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET),
        # Seals ballot choices while a vote is open (backend/deliberations/sealing.py); empty: derived from
        # SECRET_KEY. Never stored in the database, so database access alone (a DBA, a backup) cannot read
        # how anyone voted; someone holding both the database and this secret during voting can. It (or
        # SECRET_KEY, when this is empty) must not change while a vote is open: the close would refuse.
        "BALLOT_SEAL_KEY": env.get("BALLOT_SEAL_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", f"sqlite:///{instance / 'linli.db'}"),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "WECHAT_APPID": env.get("WECHAT_APPID", ""),
        "WECHAT_SECRET": env.get("WECHAT_SECRET", ""),
        "WECHAT_API_BASE": env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "WECHAT_TIMEOUT": float(env.get("WECHAT_TIMEOUT", "5")),
        # Subscribe-message templates by notification kind, as JSON:
        # {"case_progress": {"template_id": "…", "fields": {"thing1": "title", "phrase2": "status", "time3": "time"}}}
        "WECHAT_TEMPLATES": json.loads(env.get("WECHAT_TEMPLATES", "{}")),
        "WECHAT_MINIPROGRAM_STATE": env.get("WECHAT_MINIPROGRAM_STATE", "formal"),
        # The token typed into the mini-program console's 消息推送 (message push) settings; it signs the
        # pushes WeChat sends to /api/v1/wechat/push. Plaintext or compatible mode only (no safe mode).
        "WECHAT_PUSH_TOKEN": env.get("WECHAT_PUSH_TOKEN", ""),
        # This API as the internet reaches it (e.g. https://linli.example.org): WeChat downloads photos
        # to check them from signed links under it.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", ""),
        "MEDIA_ROOT": env.get("MEDIA_ROOT", str(instance / "media")),
        # Behind nginx: answer media requests with `X-Accel-Redirect: <prefix><key>` instead of bytes.
        "MEDIA_ACCEL_REDIRECT": env.get("MEDIA_ACCEL_REDIRECT", ""),
        # Dev login is on by default only outside production.
        "DEV_LOGIN": _bool(env.get("DEV_LOGIN"), default=not production),
        "ACCESS_TOKEN_TTL": int(env.get("ACCESS_TOKEN_TTL", "900")),
        "REFRESH_TOKEN_TTL": int(env.get("REFRESH_TOKEN_TTL", str(30 * 24 * 3600))),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(8 * 1024 * 1024))),
        "UPLOAD_MAX_BYTES": int(env.get("UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))),
        "UPLOAD_MAX_PIXELS": int(env.get("UPLOAD_MAX_PIXELS", str(40_000_000))),
        # A pooled database connection idle this long is pinged before use (see core.db.ping_when_idle).
        "DATABASE_PING_AFTER_IDLE": float(env.get("DATABASE_PING_AFTER_IDLE", "10")),
        "OUTBOX_RETRY_AFTER": float(env.get("OUTBOX_RETRY_AFTER", "5")),
        "SWEEP_INTERVAL": float(env.get("SWEEP_INTERVAL", "5")),
        # The embedded mode runs periodic sweeps on a timer thread; tests turn it off.
        "EMBEDDED_SWEEPER": _bool(env.get("EMBEDDED_SWEEPER"), default=True),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # RQ's worker class for `python -m backend.worker`: "SimpleWorker" runs jobs in the worker process
        # with pooled connections, several times the throughput for Linli's short database jobs; "Worker"
        # forks a work horse per job (a job that crashes its process cannot take the worker down). A dead
        # worker loses nothing either way: the outbox sweeper dispatches its job again. See bench/README.md.
        "RQ_WORKER_CLASS": env.get("RQ_WORKER_CLASS", "SimpleWorker"),
        # Feature limits an operator may tune.
        "CASES_PER_HOUR": int(env.get("CASES_PER_HOUR", "20")),  # per resident; more → 429
        "ROUTING_RETRY_AFTER": float(env.get("ROUTING_RETRY_AFTER", "60")),  # seconds between routing attempts for a case nobody can take
        "DELIBERATION_MIN_VOTING_WINDOW": int(env.get("DELIBERATION_MIN_VOTING_WINDOW", "600")),  # seconds
        "DELIBERATION_NOTICE_CHUNK": int(env.get("DELIBERATION_NOTICE_CHUNK", "300")),  # voters told per job
        "VOLUNTEERING_MIN_STAY_SECONDS": int(env.get("VOLUNTEERING_MIN_STAY_SECONDS", "60")),
    }


def check(config: dict) -> None:
    """Refuse unsafe production settings."""
    if config.get("LINLI_ENV") != "production":
        return
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEFAULT_SECRET or len(config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters in production")
    seal_key = config.get("BALLOT_SEAL_KEY")
    if seal_key and (seal_key == DEFAULT_SECRET or len(seal_key) < 32):
        raise ConfigError("BALLOT_SEAL_KEY, when set, must be a random value of at least 32 characters in production")
    if config.get("DEV_LOGIN"):
        raise ConfigError("DEV_LOGIN must be off in production")
    if not (config.get("WECHAT_APPID") and config.get("WECHAT_SECRET")):
        raise ConfigError("WECHAT_APPID and WECHAT_SECRET are required in production")
    if not str(config.get("PUBLIC_BASE_URL") or "").startswith("https://"):
        raise ConfigError("PUBLIC_BASE_URL must be the https:// address WeChat downloads photos from in production")
