"""Accounts rules: WeChat and dev login, token rotation, profile, phone binding, households."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import Household, HouseholdInvite, HouseholdMember, RefreshToken, User
from backend.core.auth import issue_access_token
from backend.core.db import utcnow
from backend.core.errors import Conflict, DomainError, NotFound, ServiceUnavailable, Unauthorized, Unprocessable
from backend.extensions import db
from backend.grids.models import Grid
from backend.wechat import WeChatError, WeChatUnavailable

DEV_PREFIX = "dev:"
# An openid is an identifier: visible characters only, as long as the column allows.
DEV_OPENID = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]{1,64}")
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read aloud and typed
INVITE_LENGTH = 8
MAX_AGE_YEARS = 120  # an older birth date is a typo


@dataclass
class TokenPair:
    """What a successful login or refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    user: User
    token_type: str = "Bearer"


# --- login and tokens ---------------------------------------------------------------------------

def wechat_login(code: str) -> TokenPair:
    """Exchange a `wx.login` code (or `dev:<openid>` in dev login) for tokens, creating the user."""
    client = current_app.extensions.get("wechat")
    if code.startswith(DEV_PREFIX) and current_app.config["DEV_LOGIN"] and client is None:
        openid = code[len(DEV_PREFIX):]
        if not DEV_OPENID.fullmatch(openid):
            message = "开发登录的 openid 应为 1–64 个字符，不能含空白或控制字符"
            raise Unprocessable(message, reason="invalid_code", errors={"json": {"code": [message]}})
        unionid = None
    elif client is None:
        raise ServiceUnavailable("微信登录暂未配置", reason="wechat_not_configured")
    else:
        session = _code2session(client, code)
        openid, unionid = session.openid, session.unionid
    user = _get_or_create_user(openid, unionid)
    if not user.is_active:
        raise DomainError("账号已停用，请联系社区", reason="account_disabled", status=403)
    user.last_login_at = utcnow()
    pair = _issue_pair(user, family_id=secrets.token_hex(16))
    db.session.commit()
    return pair


def _code2session(client, code: str):
    try:
        return client.code2session(code)
    except WeChatUnavailable:
        raise ServiceUnavailable("微信服务繁忙，请稍后重试", reason="wechat_busy", headers={"Retry-After": "5"}) from None
    except WeChatError as exc:
        raise _login_error(exc) from None


def _login_error(exc: WeChatError) -> DomainError:
    if exc.errcode == 40029:
        return DomainError("登录凭证无效或已过期，请重新进入小程序", reason="invalid_code")
    if exc.errcode == 45011:
        return DomainError("登录太频繁，请一分钟后再试", reason="wechat_rate_limited", status=429,
                           headers={"Retry-After": "60"})
    if exc.errcode == 40226:
        return DomainError("该微信账号存在安全风险，暂时无法登录", reason="wechat_user_blocked", status=403)
    if exc.errcode == -1:
        return ServiceUnavailable("微信服务繁忙，请稍后重试", reason="wechat_busy", headers={"Retry-After": "5"})
    return DomainError("微信登录失败，请稍后重试", reason="wechat_error", status=502)


def _get_or_create_user(openid: str, unionid: str | None) -> User:
    user = db.session.scalar(sa.select(User).where(User.openid == openid))
    if user is not None:
        if unionid and user.unionid != unionid:
            user.unionid = unionid
        return user
    user = User(openid=openid, unionid=unionid)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same person logged in twice at once; the other request created them
        user = db.session.scalar(sa.select(User).where(User.openid == openid))
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_pair(user: User, family_id: str) -> TokenPair:
    now = utcnow()
    refresh_ttl = current_app.config["REFRESH_TOKEN_TTL"]
    refresh = secrets.token_urlsafe(32)
    db.session.add(RefreshToken(user_id=user.id, family_id=family_id, token_hash=_hash(refresh),
                                issued_at=now, expires_at=now + timedelta(seconds=refresh_ttl)))
    access, ttl = issue_access_token(user.id, family_id)
    return TokenPair(access, refresh, ttl, refresh_ttl, user)


def refresh_tokens(refresh_token: str) -> TokenPair:
    """Rotate a refresh token; presenting a spent one revokes its whole family."""
    now = utcnow()
    token = db.session.scalar(sa.select(RefreshToken).where(RefreshToken.token_hash == _hash(refresh_token)))
    if token is None:
        raise Unauthorized("登录已失效，请重新登录", reason="invalid_refresh_token")
    if token.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录", reason="refresh_token_revoked")
    if token.expires_at <= now:
        raise Unauthorized("登录已过期，请重新登录", reason="refresh_token_expired")
    # Claim the token with a conditional update so two concurrent refreshes cannot both win.
    claimed = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)).rowcount
    if claimed != 1:
        revoke_family(token.family_id)
        db.session.commit()
        raise Unauthorized("登录凭证已被使用，为了安全请重新登录", reason="refresh_token_reused")
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        db.session.rollback()
        raise Unauthorized("账号不存在或已停用", reason="invalid_refresh_token")
    pair = _issue_pair(user, token.family_id)
    db.session.commit()
    return pair


def revoke_family(family_id: str) -> None:
    """Revoke every live refresh token of a login family."""
    db.session.execute(sa.update(RefreshToken)
                       .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def logout(user_id: int, family_id: str | None) -> None:
    """End the login the access token belongs to."""
    if family_id:
        db.session.execute(sa.update(RefreshToken)
                           .where(RefreshToken.family_id == family_id, RefreshToken.user_id == user_id,
                                  RefreshToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    db.session.commit()


# --- profile ------------------------------------------------------------------------------------

def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(reason="user_not_found")
    return user


def update_profile(user_id: int, changes: dict) -> User:
    """Change the editable profile fields (nickname, avatar, real name, birth date)."""
    user = get_user(user_id)
    for field in ("nickname", "avatar_url", "real_name", "birth_date"):
        if field in changes:
            setattr(user, field, changes[field])
    db.session.commit()
    return user


def age_on(birth_date: date, day: date) -> int:
    """Full years of age (周岁) on `day`; born on 29 February, one turns a year older on 1 March."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def bind_phone(user_id: int, code: str) -> User:
    """Bind the phone number from a `getPhoneNumber` code."""
    client = current_app.extensions.get("wechat")
    user = get_user(user_id)
    if client is None and current_app.config["DEV_LOGIN"] and code.startswith(DEV_PREFIX):
        phone = code[len(DEV_PREFIX):]
    elif client is None:
        raise ServiceUnavailable("微信服务暂未配置", reason="wechat_not_configured")
    else:
        try:
            phone = client.get_phone_number(code, openid=user.openid).pure_phone_number
        except WeChatUnavailable:
            raise ServiceUnavailable("微信服务繁忙，请稍后重试", reason="wechat_busy",
                                     headers={"Retry-After": "5"}) from None
        except WeChatError as exc:
            if exc.errcode == 40029:
                raise DomainError("手机号授权已失效，请重新授权", reason="invalid_code") from None
            raise _login_error(exc) from None
    if not (phone.isdigit() and 5 <= len(phone) <= 20):
        raise DomainError("手机号格式有误", reason="invalid_phone")
    user.phone = phone
    db.session.commit()
    return user


def mask_phone(phone: str | None) -> str | None:
    """`13812345678` → `138****5678`."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- households ---------------------------------------------------------------------------------

def create_household(grid_id: int, address: str, building: str, created_by_id: int) -> Household:
    """Register a household (户) at an address in a grid."""
    if db.session.get(Grid, grid_id) is None:
        raise NotFound("网格不存在", reason="grid_not_found")
    household = Household(grid_id=grid_id, address=address, building=building, created_by_id=created_by_id)
    db.session.add(household)
    db.session.commit()
    return household


def get_household(household_id: int) -> Household:
    household = db.session.get(Household, household_id)
    if household is None:
        raise NotFound("户不存在", reason="household_not_found")
    return household


def issue_invite(household_id: int, created_by_id: int, max_uses: int, valid_days: int) -> HouseholdInvite:
    """Issue an invite code residents use to join the household as verified members."""
    get_household(household_id)
    for _ in range(5):
        invite = HouseholdInvite(household_id=household_id, created_by_id=created_by_id, code=_new_code(),
                                 max_uses=max_uses, expires_at=utcnow() + timedelta(days=valid_days))
        db.session.add(invite)
        try:
            db.session.commit()
            return invite
        except IntegrityError:  # a code collision; draw again
            db.session.rollback()
    raise Conflict("邀请码生成失败，请重试", reason="invite_code_collision")


def _new_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalize_invite_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def join_household(user_id: int, invite_code: str) -> HouseholdMember:
    """Join the household of an invite code and become a verified member; repeating is harmless."""
    now = utcnow()
    invite = db.session.scalar(sa.select(HouseholdInvite)
                               .where(HouseholdInvite.code == normalize_invite_code(invite_code)))
    if invite is None or invite.revoked_at is not None:
        raise NotFound("邀请码无效，请向社区核对", reason="invalid_invite_code")
    current = db.session.scalar(sa.select(HouseholdMember).where(HouseholdMember.user_id == user_id))
    if current is not None:
        if current.household_id == invite.household_id:
            return current
        raise Conflict("您已加入其他住户，如需变更请联系社区", reason="already_in_household")
    if invite.expires_at <= now:
        raise Conflict("邀请码已过期，请向社区重新申请", reason="invite_code_expired")
    # Count the use with a conditional update: concurrent joins cannot exceed max_uses.
    taken = db.session.execute(
        sa.update(HouseholdInvite)
        .where(HouseholdInvite.id == invite.id, HouseholdInvite.uses < HouseholdInvite.max_uses)
        .values(uses=HouseholdInvite.uses + 1)).rowcount
    if taken != 1:
        db.session.rollback()
        raise Conflict("邀请码使用次数已满，请向社区重新申请", reason="invite_code_used_up")
    member = HouseholdMember(household_id=invite.household_id, user_id=user_id, invite_id=invite.id,
                             joined_at=now, verified_at=now)
    db.session.add(member)
    try:
        db.session.commit()
    except IntegrityError:  # the same user joined concurrently
        db.session.rollback()
        return join_household(user_id, invite_code)
    return member


def membership(user_id: int) -> HouseholdMember | None:
    return db.session.scalar(sa.select(HouseholdMember).where(HouseholdMember.user_id == user_id))
