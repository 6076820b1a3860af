"""The in-app inbox and subscribe-message consents."""
from __future__ import annotations

from flask.views import MethodView

from backend.core.api import Blueprint
from backend.core.auth import current_actor, require
from backend.core.idempotency import idempotent
from backend.core.pagination import paginate
from backend.notifications import service
from backend.notifications.schemas import (InboxArgsSchema, InboxSummarySchema, NotificationSchema,
                                           SubscriptionStateSchema, SubscriptionsSchema)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Inbox and subscribe messages (消息)")


@blp.route("/notifications")
class Inbox(MethodView):
    @require("authenticated")
    @blp.arguments(InboxArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """My notifications, newest first"""
        return paginate(service.inbox_query(current_actor().user_id, args["unread"]), pagination_parameters)


@blp.route("/notifications/summary")
class InboxSummary(MethodView):
    @require("authenticated")
    @blp.response(200, InboxSummarySchema)
    def get(self):
        """How many of my notifications are unread (for the badge)"""
        return {"unread": service.unread_count(current_actor().user_id)}


@blp.route("/notifications/<int:notification_id>/read")
class MarkRead(MethodView):
    @require("authenticated")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one notification read"""
        return service.mark_read(current_actor().user_id, notification_id)


@blp.route("/notifications/read-all")
class MarkAllRead(MethodView):
    @require("authenticated")
    @blp.response(204)
    def post(self):
        """Mark all my notifications read"""
        service.mark_all_read(current_actor().user_id)


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @require("authenticated")
    @blp.response(200, SubscriptionStateSchema)
    def get(self):
        """Which templates to ask consent for, and how many messages I still allow"""
        return _state(current_actor().user_id)

    @require("authenticated")
    @idempotent
    @blp.arguments(SubscriptionsSchema)
    @blp.response(200, SubscriptionStateSchema)
    def post(self, data):
        """Record the templates I accepted in wx.requestSubscribeMessage (one message each)"""
        service.record_consents(current_actor().user_id, data["template_ids"])
        return _state(current_actor().user_id)


def _state(user_id: int) -> dict:
    return {"templates": {kind: t["template_id"] for kind, t in service.templates().items()},
            "consents": service.consents(user_id)}
