"""Shared fixtures: an app per test on a schema built once per run, a client, Redis when present.

`TEST_DATABASE_URL` switches the suite to PostgreSQL (CI runs it on both). `TEST_REDIS_URL`
points at a real Redis; without one the Redis tests skip locally, and fail under `CI=true`.
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from backend.app import create_app
from backend.core import jobs
from backend.extensions import db

pytest_plugins = ["tests.wechat_fixtures"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-signing"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'linli-test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database with the current schema, built once per run."""
    url = _database_url(tmp_path_factory)
    app = create_app(base_config(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return url


def base_config(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": TEST_SECRET,
        "REDIS_URL": None,
        "WECHAT_APPID": "",
        "WECHAT_SECRET": "",
        "DEV_LOGIN": True,
        "MEDIA_ROOT": None,
        "LINLI_ENV": "testing",
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps with config overrides; every table is emptied after the test."""
    apps = []

    def factory(**overrides):
        overrides.setdefault("MEDIA_ROOT", str(tmp_path / "media"))
        app = create_app(base_config(database_url, **overrides))
        apps.append(app)
        return app

    yield factory
    jobs.forget_inline()  # committed in-process jobs no request ran must not run in a later test's request
    for app in apps:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_url():
    """A flushed Redis database for the test; skip (locally) or fail (CI) when there is none."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    conn = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is required in CI but {url} does not answer")
        pytest.skip(f"no Redis at {url}; start one or set TEST_REDIS_URL")
    conn.flushdb()
    yield url
    conn.flushdb()
    conn.close()
