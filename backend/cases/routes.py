"""Case endpoints: the catalogue, nearby suggestions, submitting, lists, the lifecycle actions, stats."""
from __future__ import annotations

from flask.views import MethodView

from backend.cases import catalogue, presenters, queries, service, stats
from backend.cases.schemas import (AvailabilitySchema, AvailabilityUpdateSchema, CaseDetailSchema,
                                   CaseListArgsSchema, CaseSubmitSchema, CaseSummarySchema, CategoryArgsSchema,
                                   CategoryCreateSchema, CategoryGroupSchema, CategoryPatchSchema, CategorySchema,
                                   NearbyArgsSchema, NearbyCaseSchema, NoteSchema, RateSchema, ReassignSchema,
                                   ReopenSchema, ResolveSchema, ReturnSchema, StatsArgsSchema, StatsSchema)
from backend.core.api import Blueprint
from backend.core.auth import current_actor, require
from backend.core.idempotency import idempotent
from backend.core.pagination import paginate
from backend.core.policies import allowed

blp = Blueprint("cases", __name__, url_prefix="/api/v1",
                description="Incident reports and service requests (网格事件与便民服务)")

CONFLICT = "The case's state does not allow this (reason `invalid_transition`); nothing changed"


# --- the catalogue ------------------------------------------------------------------------------

@blp.route("/case-categories")
class Categories(MethodView):
    @require("authenticated")
    @blp.arguments(CategoryArgsSchema, location="query")
    @blp.response(200, CategoryGroupSchema(many=True))
    def get(self, args):
        """The category catalogue: groups with their categories, SLA limits and rules"""
        include_inactive = args["include_inactive"] and allowed("case.categories.manage", current_actor())
        return catalogue.catalogue(args.get("kind"), include_inactive)

    @require("case.categories.manage")
    @idempotent
    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema)
    def post(self, data):
        """District admin: add a category (a group, or a category under a group)"""
        return catalogue.create_category(data)


@blp.route("/case-categories/<int:category_id>")
class CategoryDetail(MethodView):
    @require("case.categories.manage")
    @blp.arguments(CategoryPatchSchema)
    @blp.response(200, CategorySchema)
    def patch(self, changes, category_id):
        """District admin: change a category's name, rules or SLA limits (new cases only)"""
        return catalogue.update_category(category_id, changes)


# --- submitting and finding ---------------------------------------------------------------------

@blp.route("/cases")
class Cases(MethodView):
    @require("authenticated")
    @blp.arguments(CaseListArgsSchema, location="query")
    @blp.response(200, CaseSummarySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Cases in one view (mine, assigned, grid, community, street, district, escalated); overdue first for staff"""
        actor = current_actor()
        return presenters.case_summaries(paginate(queries.case_list(actor, args), pagination_parameters), actor)

    @require("authenticated")
    @idempotent
    @blp.arguments(CaseSubmitSchema)
    @blp.response(201, CaseDetailSchema)
    @blp.alt_response(429, description="More than the hourly limit of submissions (reason `too_many_cases`)")
    def post(self, data):
        """Report an incident or request a service; it is routed to a grid worker within seconds"""
        return _detail(service.submit_case(current_actor(), data))


@blp.route("/cases/nearby")
class Nearby(MethodView):
    @require("authenticated")
    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, NearbyCaseSchema(many=True))
    def get(self, args):
        """Open cases of this category near a point (anonymised), to follow instead of filing again"""
        return service.nearby_cases(current_actor(), args["category_code"], args["lat"], args["lng"])


@blp.route("/cases/stats")
class Stats(MethodView):
    @require("case.stats")
    @blp.arguments(StatsArgsSchema, location="query")
    @blp.response(200, StatsSchema)
    def get(self, args):
        """Response, resolution and satisfaction rates (响应率/解决率/满意率) by community, grid and worker"""
        return stats.case_stats(current_actor(), args.get("since"), args.get("until"))


@blp.route("/cases/availability")
class Availability(MethodView):
    @require("case.handle")
    @blp.response(200, AvailabilitySchema)
    def get(self):
        """Staff: whether routing sends me tasks (away after three missed accept deadlines in a row)"""
        return service.availability(current_actor().user_id)

    @require("case.handle")
    @blp.arguments(AvailabilityUpdateSchema)
    @blp.response(200, AvailabilitySchema)
    def put(self, data):
        """Staff: say I am away (no new tasks) or back"""
        return service.set_availability(current_actor().user_id, data["away"])


@blp.route("/cases/<int:case_id>")
class CaseDetail(MethodView):
    @require("case.view")
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(404, description="No such case, or you may not see it (reason `case_not_found`)")
    def get(self, case_id):
        """One case with its timeline (every step, who, when, why; the routing decision for staff)"""
        return _detail(service.visible_case(current_actor(), case_id))


# --- the lifecycle ------------------------------------------------------------------------------

@blp.route("/cases/<int:case_id>/accept")
class Accept(MethodView):
    @require("case.handle")
    @idempotent
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, case_id):
        """Assignee: accept the task (受理)"""
        return _detail(service.accept_case(current_actor(), case_id))


@blp.route("/cases/<int:case_id>/return")
class Return(MethodView):
    @require("case.handle")
    @idempotent
    @blp.arguments(ReturnSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, data, case_id):
        """Assignee: hand the task back with a reason; it is routed again without you"""
        return _detail(service.return_case(current_actor(), case_id, data["reason"], data["note"]))


@blp.route("/cases/<int:case_id>/start")
class Start(MethodView):
    @require("case.handle")
    @idempotent
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, case_id):
        """Assignee: start the work (开始处理)"""
        return _detail(service.start_case(current_actor(), case_id))


@blp.route("/cases/<int:case_id>/resolve")
class Resolve(MethodView):
    @require("case.handle")
    @idempotent
    @blp.arguments(ResolveSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, data, case_id):
        """Assignee: report the work done, with after-photos (at least one for an incident)"""
        return _detail(service.resolve_case(current_actor(), case_id, data["note"], data["photo_ids"]))


@blp.route("/cases/<int:case_id>/cancel")
class Cancel(MethodView):
    @require("case.own")
    @idempotent
    @blp.arguments(NoteSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, data, case_id):
        """Reporter: withdraw the case before anyone accepted it (撤销)"""
        return _detail(service.cancel_case(current_actor(), case_id, data["note"]))


@blp.route("/cases/<int:case_id>/confirm")
class Confirm(MethodView):
    @require("case.own")
    @idempotent
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, case_id):
        """Reporter: confirm the problem is solved; the case closes"""
        return _detail(service.confirm_case(current_actor(), case_id))


@blp.route("/cases/<int:case_id>/reopen")
class Reopen(MethodView):
    @require("case.own")
    @idempotent
    @blp.arguments(ReopenSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, data, case_id):
        """Reporter: not fixed — back to the same worker, escalated one level (within 7 days)"""
        return _detail(service.reopen_case(current_actor(), case_id, data["note"]))


@blp.route("/cases/<int:case_id>/rate")
class Rate(MethodView):
    @require("case.own")
    @idempotent
    @blp.arguments(RateSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT + "; `already_rated` for a second rating")
    def post(self, data, case_id):
        """Reporter: rate a closed case 1–5 with a comment (once)"""
        return _detail(service.rate_case(current_actor(), case_id, data["score"], data["comment"]))


@blp.route("/cases/<int:case_id>/follow")
class Follow(MethodView):
    @require("case.follow")
    @idempotent
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description="The case is closed or cancelled (reason `invalid_transition`)")
    def post(self, case_id):
        """Follow an open case (我也遇到) instead of filing a duplicate; you are told as it progresses"""
        return _detail(service.follow_case(current_actor(), case_id))

    @require("authenticated")
    @blp.response(204)
    def delete(self, case_id):
        """Stop following a case"""
        service.unfollow_case(current_actor(), case_id)


@blp.route("/cases/<int:case_id>/reassign")
class Reassign(MethodView):
    @require("case.supervise")
    @idempotent
    @blp.arguments(ReassignSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, data, case_id):
        """Leader, committee or admin: give the case to another staff member (改派); they must accept it"""
        return _detail(service.reassign_case(current_actor(), case_id, data["assignee_id"], data["note"]))


@blp.route("/cases/<int:case_id>/escalate")
class Escalate(MethodView):
    @require("case.supervise")
    @idempotent
    @blp.arguments(NoteSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description=CONFLICT)
    def post(self, data, case_id):
        """Leader, committee or admin: escalate the case one level (督办)"""
        return _detail(service.escalate_case(current_actor(), case_id, data["note"]))


def _detail(case):
    return presenters.case_detail(case, current_actor())
