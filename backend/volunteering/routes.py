"""Volunteering endpoints (志愿服务): activities and shifts, sign-ups, check-in, hours, points, 爱心超市."""
from __future__ import annotations

from flask.views import MethodView

from backend.core.api import Blueprint
from backend.core.auth import current_actor, require
from backend.core.idempotency import idempotent
from backend.core.pagination import paginate
from backend.core.policies import allowed, authorize
from backend.volunteering import checkins, ledger, presenters, rewards, service, signups
from backend.volunteering.schemas import (
    ActivityCancelSchema, ActivityCreateSchema, ActivityDetailSchema, ActivityListArgsSchema, ActivityPatchSchema,
    ActivitySchema, AttendanceSchema, BonusPointsInSchema, CheckinCodeSchema, CheckinResultSchema, CheckinSchema,
    CollectSchema, HonourHoursInSchema, HoursEntrySchema, LeaderboardArgsSchema, LeaderboardSchema,
    MySignupsArgsSchema, MyVolunteeringSchema, PointsEntrySchema, RedemptionSchema, RewardCreateSchema,
    RewardPatchSchema, RewardSchema, RewardsArgsSchema, RosterEntrySchema, SettingsPatchSchema, SettingsSchema,
    ShiftInSchema, ShiftPatchSchema, ShopRedemptionsArgsSchema, SignupSchema, TeamCreateSchema,
    TeamMemberInSchema, TeamSchema, TeamsArgsSchema, UserRefSchema)

blp = Blueprint("volunteering", __name__, url_prefix="/api/v1",
                description="Volunteering (志愿服务): activities, sign-ups, check-in, hours, points and the 爱心超市")


def _detail(activity):
    return presenters.activity_detail(activity, current_actor())


# --- activities and shifts ----------------------------------------------------------------------

@blp.route("/activities")
class Activities(MethodView):
    @require("authenticated")
    @blp.arguments(ActivityListArgsSchema, location="query")
    @blp.response(200, ActivitySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Volunteer activities, soonest first (`managed=true`: the ones I run, drafts included)"""
        query = service.activities_query(current_actor(), args.get("community_id"), args["when"], args["managed"],
                                         args.get("status"))
        return presenters.activities(paginate(query, pagination_parameters))

    @require("activity.create")
    @idempotent
    @blp.arguments(ActivityCreateSchema)
    @blp.response(201, ActivityDetailSchema)
    def post(self, data):
        """Committee or team organiser: create an activity with its shifts (published unless publish=false)"""
        authorize("activity.create", current_actor(), community_id=data["community_id"], team_id=data["team_id"])
        activity = service.create_activity(data["community_id"], data["title"], data["description"],
                                           [service.ShiftPlan(**shift) for shift in data["shifts"]],
                                           current_actor().user_id, data["team_id"], data["publish"])
        return _detail(activity)


@blp.route("/activities/<int:activity_id>")
class ActivityDetail(MethodView):
    @require("authenticated")
    @blp.response(200, ActivityDetailSchema)
    def get(self, activity_id):
        """An activity with its shifts, places left, waitlist lengths and my sign-ups"""
        return _detail(service.get_activity(activity_id, current_actor()))

    @require("activity.manage")
    @blp.arguments(ActivityPatchSchema)
    @blp.response(200, ActivityDetailSchema)
    def patch(self, changes, activity_id):
        """Organiser: change the title or description"""
        return _detail(service.update_activity(activity_id, changes))


@blp.route("/activities/<int:activity_id>/publish")
class PublishActivity(MethodView):
    @require("activity.manage")
    @blp.response(200, ActivityDetailSchema)
    def post(self, activity_id):
        """Organiser: open a draft for sign-up"""
        return _detail(service.publish_activity(activity_id))


@blp.route("/activities/<int:activity_id>/cancel")
class CancelActivity(MethodView):
    @require("activity.manage")
    @idempotent
    @blp.arguments(ActivityCancelSchema)
    @blp.response(200, ActivityDetailSchema)
    def post(self, data, activity_id):
        """Organiser: cancel the activity; every sign-up ends and everyone signed up is told"""
        return _detail(service.cancel_activity(activity_id, data["reason"]))


@blp.route("/activities/<int:activity_id>/shifts")
class ActivityShifts(MethodView):
    @require("activity.manage")
    @idempotent
    @blp.arguments(ShiftInSchema)
    @blp.response(201, ActivityDetailSchema)
    def post(self, data, activity_id):
        """Organiser: add a shift to the activity"""
        shift = service.add_shift(activity_id, service.ShiftPlan(**data))
        return _detail(shift.activity)


@blp.route("/shifts/<int:shift_id>")
class ShiftDetail(MethodView):
    @require("activity.manage")
    @blp.arguments(ShiftPatchSchema)
    @blp.response(200, ActivityDetailSchema)
    @blp.alt_response(409, description="`invalid_transition` (the shift started), `activity_cancelled`, "
                                       "`capacity_below_confirmed`")
    def patch(self, changes, shift_id):
        """Organiser: change a shift until it starts: time and place (everyone signed up is told), limits, capacity"""
        return _detail(service.update_shift(shift_id, changes).activity)


# --- sign-ups -----------------------------------------------------------------------------------

@blp.route("/shifts/<int:shift_id>/signups")
class ShiftSignups(MethodView):
    @require("volunteer.signup")
    @idempotent
    @blp.response(201, SignupSchema)
    @blp.alt_response(403, description="`not_verified`: only verified residents sign up")
    @blp.alt_response(409, description="`shift_full`, `already_signed_up`, `overlapping_shift`, `signup_closed`, "
                                       "`activity_cancelled`, `birth_date_required` (the shift has a minimum "
                                       "age), `too_young` (on the shift's date)")
    def post(self, shift_id):
        """Verified resident: sign up; confirmed while places last, else waitlisted with a position"""
        return presenters.signup(signups.sign_up(current_actor(), shift_id))

    @require("activity.manage")
    @blp.response(200, RosterEntrySchema(many=True))
    @blp.paginate()
    def get(self, shift_id, pagination_parameters):
        """Organiser: the attendance list, confirmed first, then the waitlist in order"""
        return presenters.roster(paginate(signups.roster_query(shift_id), pagination_parameters))


@blp.route("/signups/<int:signup_id>")
class SignupDetail(MethodView):
    @require("signup.cancel")
    @idempotent
    @blp.response(200, SignupSchema)
    @blp.alt_response(409, description="`shift_started`")
    def delete(self, signup_id):
        """Cancel a sign-up; the place goes to the first on the waitlist, who is told"""
        return presenters.signup(signups.cancel_signup(signup_id, current_actor().user_id))


@blp.route("/me/signups")
class MySignups(MethodView):
    @require("authenticated")
    @blp.arguments(MySignupsArgsSchema, location="query")
    @blp.response(200, SignupSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """My shifts: upcoming (soonest first), past or all, with waitlist positions and attendance"""
        query = signups.my_signups_query(current_actor().user_id, args["when"])
        return presenters.signups(paginate(query, pagination_parameters))


# --- check-in -----------------------------------------------------------------------------------

@blp.route("/shifts/<int:shift_id>/checkin-code")
class ShiftCheckinCode(MethodView):
    @require("activity.manage")
    @blp.response(200, CheckinCodeSchema)
    @blp.alt_response(409, description="`checkin_not_open`, `checkin_closed`, `activity_cancelled`")
    def get(self, shift_id):
        """Organiser: the shift's check-in code, changing every 30 s (a mini-program code image with WeChat)"""
        return presenters.checkin_code(checkins.issue_code(shift_id))


@blp.route("/checkins")
class Checkins(MethodView):
    @require("authenticated")
    @idempotent
    @blp.arguments(CheckinSchema)
    @blp.response(200, CheckinResultSchema)
    @blp.alt_response(409, description="`checkin_code_expired`, `wrong_shift`, `not_signed_up`, `too_far`, "
                                       "`already_checked_out`, `already_checked_in`, `checkin_not_open`, `checkin_closed`")
    def post(self, data):
        """Volunteer: check in with a scanned code, or check out with a later one; hours and points follow"""
        result = checkins.scan(current_actor().user_id, data["code"], data["lat"], data["lng"], data["shift_id"])
        return presenters.checkin_result(result)


@blp.route("/signups/<int:signup_id>/check-in")
class ManualCheckIn(MethodView):
    @require("activity.manage")
    @idempotent
    @blp.response(200, AttendanceSchema)
    def post(self, signup_id):
        """Organiser: check a volunteer in by hand (recorded as manual)"""
        return presenters.attendance(checkins.manual_check_in(signup_id, current_actor().user_id))


@blp.route("/signups/<int:signup_id>/check-out")
class ManualCheckOut(MethodView):
    @require("activity.manage")
    @idempotent
    @blp.response(200, AttendanceSchema)
    def post(self, signup_id):
        """Organiser: check a volunteer out by hand; hours and points follow"""
        return presenters.attendance(checkins.manual_check_out(signup_id, current_actor().user_id))


# --- hours, points, ranking ---------------------------------------------------------------------

@blp.route("/me/volunteering")
class MyVolunteering(MethodView):
    @require("authenticated")
    @blp.response(200, MyVolunteeringSchema)
    def get(self):
        """My hours (credited and honour, apart), points, star level, record and recent history"""
        return ledger.summary(current_actor().user_id)


@blp.route("/me/points")
class MyPoints(MethodView):
    @require("authenticated")
    @blp.response(200, PointsEntrySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """My points ledger, newest first: every earning and spending"""
        return paginate(ledger.points_query(current_actor().user_id), pagination_parameters)


@blp.route("/leaderboard")
class Leaderboard(MethodView):
    @require("authenticated")
    @blp.arguments(LeaderboardArgsSchema, location="query")
    @blp.response(200, LeaderboardSchema)
    def get(self, args):
        """A community's volunteers ranked by credited hours or points earned, with my own rank"""
        return ledger.leaderboard(args["community_id"], args["by"], current_actor().user_id)


@blp.route("/volunteers/<int:user_id>/honour-hours")
class HonourHours(MethodView):
    @require("volunteering.admin")
    @idempotent
    @blp.arguments(HonourHoursInSchema)
    @blp.response(201, HoursEntrySchema)
    def post(self, data, user_id):
        """Committee: grant honour hours (荣誉时长) with a reason; shown apart, no points or stars"""
        authorize("volunteering.admin", current_actor(), community_id=data["community_id"])
        entry = ledger.grant_honour_hours(user_id, data["community_id"], round(data["hours"] * 60), data["reason"],
                                          current_actor().user_id)
        return presenters.hours_entry(entry)


@blp.route("/volunteers/<int:user_id>/bonus-points")
class BonusPoints(MethodView):
    @require("volunteering.admin")
    @idempotent
    @blp.arguments(BonusPointsInSchema)
    @blp.response(201, PointsEntrySchema)
    def post(self, data, user_id):
        """Committee: add bonus points with a reason"""
        authorize("volunteering.admin", current_actor(), community_id=data["community_id"])
        return ledger.grant_bonus_points(user_id, data["community_id"], data["points"], data["reason"],
                                         current_actor().user_id)


# --- teams and community settings ---------------------------------------------------------------

@blp.route("/teams")
class Teams(MethodView):
    @require("authenticated")
    @blp.arguments(TeamsArgsSchema, location="query")
    @blp.response(200, TeamSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Volunteer teams (志愿队, 社会组织), optionally of one community"""
        teams = paginate(service.teams_query(args.get("community_id")), pagination_parameters)
        return [presenters.team(team) for team in teams]

    @require("team.create")
    @idempotent
    @blp.arguments(TeamCreateSchema)
    @blp.response(201, TeamSchema)
    def post(self, data):
        """Committee: register a team with its organisers"""
        authorize("team.create", current_actor(), community_id=data["community_id"])
        team = service.create_team(data["community_id"], data["name"], data["kind"], data["description"],
                                   current_actor().user_id, data["organiser_ids"])
        return presenters.team(team)


@blp.route("/teams/<int:team_id>")
class TeamDetail(MethodView):
    @require("authenticated")
    @blp.response(200, TeamSchema)
    def get(self, team_id):
        """A team with its members and organisers"""
        return presenters.team(service.get_team(team_id))


@blp.route("/teams/<int:team_id>/members")
class TeamMembers(MethodView):
    @require("team.manage")
    @blp.arguments(TeamMemberInSchema)
    @blp.response(200, TeamSchema)
    def post(self, data, team_id):
        """Committee or organiser: add a member, or make or unmake an organiser"""
        service.set_team_member(team_id, data["user_id"], data["is_organiser"])
        return presenters.team(service.get_team(team_id))


@blp.route("/teams/<int:team_id>/members/<int:user_id>")
class TeamMemberDetail(MethodView):
    @require("team.manage")
    @blp.response(204)
    def delete(self, team_id, user_id):
        """Committee or organiser: remove a member"""
        service.remove_team_member(team_id, user_id)


@blp.route("/communities/<int:community_id>/volunteering-settings")
class Settings(MethodView):
    @require("authenticated")
    @blp.response(200, SettingsSchema)
    def get(self, community_id):
        """A community's points rate, check-in distance and shop keepers"""
        service.get_community(community_id)
        return presenters.settings(service.settings_of(community_id), service.shop_keepers(community_id))

    @require("volunteering.admin")
    @blp.arguments(SettingsPatchSchema)
    @blp.response(200, SettingsSchema)
    def patch(self, changes, community_id):
        """Committee: set the points per hour and the check-in distance (metres)"""
        settings = service.update_settings(community_id, changes)
        return presenters.settings(settings, service.shop_keepers(community_id))


@blp.route("/communities/<int:community_id>/shop-keepers")
class ShopKeepers(MethodView):
    @require("volunteering.admin")
    @blp.arguments(UserRefSchema)
    @blp.response(200, SettingsSchema)
    def post(self, data, community_id):
        """Committee: make someone a keeper of the community's 爱心超市"""
        service.add_shop_keeper(community_id, data["user_id"])
        return presenters.settings(service.settings_of(community_id), service.shop_keepers(community_id))


@blp.route("/communities/<int:community_id>/shop-keepers/<int:user_id>")
class ShopKeeperDetail(MethodView):
    @require("volunteering.admin")
    @blp.response(204)
    def delete(self, community_id, user_id):
        """Committee: remove a shop keeper"""
        service.remove_shop_keeper(community_id, user_id)


# --- 爱心超市 ------------------------------------------------------------------------------------

@blp.route("/rewards")
class Rewards(MethodView):
    @require("authenticated")
    @blp.arguments(RewardsArgsSchema, location="query")
    @blp.response(200, RewardSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """The 爱心超市 catalogue, cheapest first (managers may include items taken off sale)"""
        community_id = args.get("community_id")
        inactive = args["include_inactive"] and community_id is not None and allowed(
            "volunteering.admin", current_actor(), community_id=community_id)
        return paginate(rewards.catalogue_query(community_id, inactive), pagination_parameters)

    @require("volunteering.admin")
    @idempotent
    @blp.arguments(RewardCreateSchema)
    @blp.response(201, RewardSchema)
    def post(self, data):
        """Committee: put an item in the 爱心超市"""
        authorize("volunteering.admin", current_actor(), community_id=data["community_id"])
        return rewards.create_reward(data["community_id"], data["name"], data["description"], data["points"],
                                     data["stock"])


@blp.route("/rewards/<int:reward_id>")
class RewardDetail(MethodView):
    @require("volunteering.admin")
    @blp.arguments(RewardPatchSchema)
    @blp.response(200, RewardSchema)
    def patch(self, changes, reward_id):
        """Committee: change an item, its price, add stock, or take it off sale"""
        return rewards.update_reward(reward_id, changes)


@blp.route("/rewards/<int:reward_id>/redeem")
class Redeem(MethodView):
    @require("authenticated")
    @idempotent
    @blp.response(201, RedemptionSchema)
    @blp.alt_response(409, description="`insufficient_points`, `out_of_stock`, `reward_unavailable`")
    def post(self, reward_id):
        """Spend points on an item; returns the pickup code to show at the counter"""
        return presenters.redemption(rewards.redeem(current_actor().user_id, reward_id))


@blp.route("/me/redemptions")
class MyRedemptions(MethodView):
    @require("authenticated")
    @blp.response(200, RedemptionSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """My redemptions and their pickup codes, newest first"""
        items = paginate(rewards.my_redemptions_query(current_actor().user_id), pagination_parameters)
        return presenters.redemptions(items, for_owner=True)


@blp.route("/redemptions")
class ShopRedemptions(MethodView):
    @require("reward.keep")
    @blp.arguments(ShopRedemptionsArgsSchema, location="query")
    @blp.response(200, RedemptionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Shop keeper: the community's redemptions (pickup codes masked)"""
        authorize("reward.keep", current_actor(), community_id=args["community_id"])
        items = paginate(rewards.shop_redemptions_query(args["community_id"], args.get("status")), pagination_parameters)
        return presenters.redemptions(items, for_owner=False)


@blp.route("/redemptions/collect")
class CollectRedemption(MethodView):
    @require("reward.keep")
    @idempotent
    @blp.arguments(CollectSchema)
    @blp.response(200, RedemptionSchema)
    @blp.alt_response(409, description="`already_collected`, `redemption_cancelled`")
    def post(self, data):
        """Shop keeper: hand over the item for a pickup code and mark it collected"""
        redemption = rewards.find_by_code(data["pickup_code"])
        authorize("reward.keep", current_actor(), community_id=redemption.community_id)
        return presenters.redemption(rewards.collect(redemption.id, current_actor().user_id), for_owner=False)


@blp.route("/redemptions/<int:redemption_id>/cancel")
class CancelRedemption(MethodView):
    @require("redemption.cancel")
    @idempotent
    @blp.response(200, RedemptionSchema)
    def post(self, redemption_id):
        """Cancel an uncollected redemption: stock back, points refunded"""
        redemption = rewards.cancel(redemption_id, current_actor().user_id)
        return presenters.redemption(redemption, for_owner=redemption.user_id == current_actor().user_id)
