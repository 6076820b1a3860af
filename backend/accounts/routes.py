"""Identity endpoints: login, tokens, profile, phone, households."""
from __future__ import annotations

from flask.views import MethodView

from backend.accounts import presenters, service
from backend.accounts.schemas import (HouseholdCreateSchema, HouseholdSchema, InviteCreateSchema, InviteSchema,
                                      JoinHouseholdSchema, LogoutSchema, MeSchema, PhoneCodeSchema,
                                      ProfilePatchSchema, RefreshSchema, TokenPairSchema, WeChatLoginSchema)
from backend.core.api import Blueprint
from backend.core.auth import current_actor, require, token_family
from backend.core.idempotency import idempotent
from backend.core.policies import authorize

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Identity, profile and households")


@blp.route("/auth/wechat-login")
class WeChatLogin(MethodView):
    @require("public")
    @blp.arguments(WeChatLoginSchema)
    @blp.response(200, TokenPairSchema)
    def post(self, data):
        """Log in with a wx.login code (or dev:<openid> under dev login)"""
        return presenters.token_pair(service.wechat_login(data["code"]))


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @require("public")
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    def post(self, data):
        """Rotate the refresh token; a reused one revokes the whole login"""
        return presenters.token_pair(service.refresh_tokens(data["refresh_token"]))


@blp.route("/auth/logout")
class Logout(MethodView):
    @require("authenticated")
    @blp.arguments(LogoutSchema, required=False, description="No fields: send no body, or `{}`")
    @blp.response(204)
    def post(self, _no_fields):
        """Log out: revoke this login's refresh tokens"""
        service.logout(current_actor().user_id, token_family())


@blp.route("/me")
class Me(MethodView):
    @require("authenticated")
    @blp.response(200, MeSchema)
    def get(self):
        """My profile, roles with scopes, household and verified flag"""
        return presenters.me(service.get_user(current_actor().user_id))

    @require("authenticated")
    @blp.arguments(ProfilePatchSchema)
    @blp.response(200, MeSchema)
    def patch(self, changes):
        """Change my nickname, avatar, real name or birth date (YYYY-MM-DD, null clears it)"""
        return presenters.me(service.update_profile(current_actor().user_id, changes))


@blp.route("/me/phone")
class MyPhone(MethodView):
    @require("authenticated")
    @idempotent
    @blp.arguments(PhoneCodeSchema)
    @blp.response(200, MeSchema)
    def post(self, data):
        """Bind my phone number from a getPhoneNumber code"""
        return presenters.me(service.bind_phone(current_actor().user_id, data["code"]))


@blp.route("/households")
class Households(MethodView):
    @require("household.create")
    @idempotent
    @blp.arguments(HouseholdCreateSchema)
    @blp.response(201, HouseholdSchema)
    def post(self, data):
        """Committee: register a household at an address in a grid"""
        authorize("household.create", current_actor(), grid_id=data["grid_id"])
        household = service.create_household(data["grid_id"], data["address"], data["building"],
                                              current_actor().user_id)
        return presenters.household(household, current_actor())


@blp.route("/households/<int:household_id>")
class HouseholdDetail(MethodView):
    @require("household.view")
    @blp.response(200, HouseholdSchema)
    def get(self, household_id):
        """A household with its members (phones masked unless you may see them)"""
        return presenters.household(service.get_household(household_id), current_actor())


@blp.route("/households/<int:household_id>/invites")
class HouseholdInvites(MethodView):
    @require("household.issue_invite")
    @idempotent
    @blp.arguments(InviteCreateSchema)
    @blp.response(201, InviteSchema)
    def post(self, data, household_id):
        """Committee: issue an invite code for residents to join this household verified"""
        return service.issue_invite(household_id, current_actor().user_id, data["max_uses"], data["valid_days"])


@blp.route("/households/join")
class JoinHousehold(MethodView):
    @require("authenticated")
    @idempotent
    @blp.arguments(JoinHouseholdSchema)
    @blp.response(200, MeSchema)
    def post(self, data):
        """Join a household with a committee invite code and become verified"""
        service.join_household(current_actor().user_id, data["invite_code"])
        return presenters.me(service.get_user(current_actor().user_id))
