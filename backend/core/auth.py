"""Bearer-token authentication and the `@require(policy)` decorator every route carries."""
from __future__ import annotations

import functools
import secrets
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, request

from backend.core import tokens
from backend.core.api import Blueprint
from backend.core.db import utcnow
from backend.core.errors import Unauthorized
from backend.core.policies import POLICIES, Actor, Grant, Home, authorize

BEARER = [{"bearerAuth": []}]


def issue_access_token(user_id: int, family_id: str) -> tuple[str, int]:
    """Sign a short-lived access token for a user; return it with its lifetime in seconds.

    `fam` names the refresh-token family of the login, so logout can revoke it.
    """
    ttl = current_app.config["ACCESS_TOKEN_TTL"]
    now = utcnow()
    claims = {"sub": str(user_id), "typ": "access", "fam": family_id, "iat": now,
              "exp": now + timedelta(seconds=ttl), "jti": secrets.token_hex(8)}
    return tokens.issue(claims, current_app.config["SECRET_KEY"]), ttl


def _user_id_from_header() -> int | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("登录凭证格式有误，请重新登录", reason="invalid_token")
    try:
        claims = tokens.verify(token.strip(), current_app.config["SECRET_KEY"])
    except tokens.ExpiredToken:
        raise Unauthorized("登录已过期，请重新登录", reason="token_expired") from None
    except tokens.InvalidToken:
        raise Unauthorized("登录凭证无效，请重新登录", reason="invalid_token") from None
    subject = claims.get("sub")
    if claims.get("typ") != "access" or not (isinstance(subject, str) and subject.isascii() and subject.isdigit()):
        raise Unauthorized("登录凭证无效，请重新登录", reason="invalid_token")
    request.linli_token_family = claims.get("fam")
    return int(subject)


@functools.cache
def _actor_query() -> sa.Select:
    """The user, their household (with its grid's community) and their roles joined: one row per role
    (at least one row for a user who exists).

    Built once: constructing the statement costs more than PostgreSQL takes to answer it.
    """
    from backend.accounts.models import Household, HouseholdMember, RoleAssignment, User
    from backend.grids.models import Grid

    return (sa.select(User.is_active, HouseholdMember.household_id, Household.grid_id, Grid.community_id,
                      Household.building, HouseholdMember.verified_at,
                      RoleAssignment.role, RoleAssignment.scope_type, RoleAssignment.scope_id)
            .select_from(User)
            .outerjoin(HouseholdMember, HouseholdMember.user_id == User.id)
            .outerjoin(Household, Household.id == HouseholdMember.household_id)
            .outerjoin(Grid, Grid.id == Household.grid_id)
            .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.id == sa.bindparam("user_id"))
            .order_by(RoleAssignment.id))


def load_actor(user_id: int) -> Actor | None:
    """Build the actor for a user id from the database (None if the user is gone or disabled).

    Every authenticated request pays for this, so it is one round trip, executed as Core on the
    session's connection without building ORM objects.
    """
    from backend.extensions import db

    rows = db.session.connection().execute(_actor_query(), {"user_id": user_id}).all()
    if not rows or not rows[0].is_active:
        return None
    first = rows[0]
    grants = tuple(Grant(r.role, r.scope_type, r.scope_id) for r in rows if r.role is not None)
    home = None if first.household_id is None else Home(
        first.household_id, first.grid_id, first.community_id, first.building, first.verified_at)
    return Actor(user_id=user_id, grants=grants, home=home)


def current_actor() -> Actor | None:
    """The caller of this request, authenticated once and cached on the request.

    Cached on the request, not on `g`: an app context (and its `g`) may outlive one request.
    """
    if not hasattr(request, "linli_actor"):
        user_id = current_user_id()
        actor = load_actor(user_id) if user_id is not None else None
        if user_id is not None and actor is None:
            raise Unauthorized("账号不存在或已停用", reason="invalid_token")
        request.linli_actor = actor
    return request.linli_actor


def current_user_id() -> int | None:
    """The user id in this request's access token (None without one), checked once per request.

    Only the signature and expiry are checked here; whether the account still exists and is active
    is `current_actor`'s question (or, under a token-only policy, the service's).
    """
    if not hasattr(request, "linli_user_id"):
        request.linli_user_id = _user_id_from_header()
    return request.linli_user_id


def token_family() -> str | None:
    """The login family named by this request's access token."""
    current_actor()
    return getattr(request, "linli_token_family", None)


def require(policy_name: str):
    """Authenticate the caller and check policy `policy_name` with the route's keyword arguments.

    Put it first (outermost), so an anonymous or unauthorised caller is refused before any
    input is parsed; the policy name is kept on the view so tests can check every route has one.
    """
    if policy_name not in POLICIES:
        raise LookupError(f"unknown policy {policy_name}")
    token_only = getattr(POLICIES[policy_name], "token_only", False)

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            if token_only:
                if current_user_id() is None:
                    raise Unauthorized()
            else:
                authorize(policy_name, current_actor(), **kwargs)
            return func(*args, **kwargs)

        wrapper._policy = policy_name
        if policy_name == "public":
            return wrapper
        return Blueprint.doc(security=BEARER)(wrapper)

    return decorator
