"""Deliberation endpoints: topics, supports, the committee's actions, discussion, moderation, ballots."""
from __future__ import annotations

from flask.views import MethodView

from backend.core.api import Blueprint, json_response
from backend.core.auth import current_actor, current_user_id, require
from backend.core.idempotency import idempotent
from backend.core.pagination import paginate, paginate_rows
from backend.deliberations import ballots, casting, comments, moderation, presenters, service
from backend.deliberations.logs import redact_receipts_in_access_logs
from backend.deliberations.schemas import (BallotCastSchema, BallotResultsSchema, CommentReportSchema,
                                           CommentRevisionSchema, DeliberationSettingsSchema,
                                           DeliberationSettingsUpdateSchema, ModerationEntrySchema,
                                           ModerationQueueArgsSchema, ModerationQueueItemSchema, OpenVotingSchema,
                                           PublishedBallotSchema, ReceiptCheckSchema, ReceiptIssuedSchema,
                                           TopicApproveSchema, TopicCommentCreateSchema, TopicCommentEditSchema,
                                           TopicCommentSchema, TopicCreateSchema, TopicDetailSchema,
                                           TopicListArgsSchema, TopicReasonSchema, TopicRespondSchema,
                                           TopicSummarySchema, TopicThreadSchema)

blp = Blueprint("deliberations", __name__, url_prefix="/api/v1", description="Deliberation and votes (协商议事)")
redact_receipts_in_access_logs()


def _detail(topic):
    return presenters.topic_detail(topic, current_actor())


# --- topics -------------------------------------------------------------------------------------

@blp.route("/topics")
class Topics(MethodView):
    @require("topic.propose")
    @blp.arguments(TopicListArgsSchema, location="query")
    @blp.response(200, TopicSummarySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Topics I may see (my community's, my proposals, those I manage), newest first"""
        ballots.sweep_due(limit=20)  # a late close job must not leave a stale phase in the list
        query = service.list_query(current_actor(), **args)
        return [presenters.topic_summary(t) for t in paginate(query, pagination_parameters)]

    @require("topic.propose")
    @idempotent
    @blp.arguments(TopicCreateSchema)
    @blp.response(201, TopicDetailSchema)
    @blp.alt_response(422, description="Refused by content screening (reason `content_rejected`) or invalid")
    def post(self, data):
        """Propose a topic (verified resident → pending_review) or create one (committee → discussion)"""
        return _detail(service.create_topic(current_actor(), data))


@blp.route("/topics/<int:topic_id>")
class TopicDetail(MethodView):
    @require("topic.view")
    @blp.response(200, TopicDetailSchema)
    def get(self, topic_id):
        """A topic: its phase, scope, supports, ballot (counts if visible), result and response"""
        topic = service.get_topic(topic_id)
        ballots.catch_up(topic)
        return _detail(topic)


@blp.route("/topics/<int:topic_id>/support")
class Support(MethodView):
    @require("topic.view")
    @idempotent
    @blp.response(200, TopicDetailSchema)
    def post(self, topic_id):
        """Support (附议) a topic in discussion; reaching the threshold puts it on the agenda"""
        return _detail(service.support(topic_id, current_actor()))


@blp.route("/topics/<int:topic_id>/withdraw")
class Withdraw(MethodView):
    @require("topic.withdraw")
    @idempotent
    @blp.response(200, TopicDetailSchema)
    def post(self, topic_id):
        """The proposer (or committee) withdraws a topic before voting is set up"""
        return _detail(service.withdraw(topic_id, current_actor()))


@blp.route("/topics/<int:topic_id>/approve")
class Approve(MethodView):
    @require("topic.manage")
    @idempotent
    @blp.arguments(TopicApproveSchema)
    @blp.response(200, TopicDetailSchema)
    def post(self, data, topic_id):
        """Committee: approve a proposal into discussion (optionally setting its ballot)"""
        return _detail(service.approve(topic_id, current_actor(), data["ballot"]))


@blp.route("/topics/<int:topic_id>/reject")
class Reject(MethodView):
    @require("topic.manage")
    @idempotent
    @blp.arguments(TopicReasonSchema)
    @blp.response(200, TopicDetailSchema)
    def post(self, data, topic_id):
        """Committee: reject a proposal with a reason the proposer sees"""
        return _detail(service.reject(topic_id, current_actor(), data["reason"]))


@blp.route("/topics/<int:topic_id>/open-voting")
class OpenVoting(MethodView):
    @require("topic.manage")
    @idempotent
    @blp.arguments(OpenVotingSchema)
    @blp.response(200, TopicDetailSchema)
    def post(self, data, topic_id):
        """Committee: fix the ballot and open voting now or at `opens_at`, until `closes_at`"""
        return _detail(ballots.open_voting(topic_id, current_actor(), data["closes_at"], data["opens_at"],
                                           data["ballot"]))


@blp.route("/topics/<int:topic_id>/close")
class Close(MethodView):
    @require("topic.manage")
    @idempotent
    @blp.response(200, TopicDetailSchema)
    def post(self, topic_id):
        """Committee: end a discussion without a vote, or a vote whose closing time has passed"""
        return _detail(ballots.close_by_committee(topic_id, current_actor()))


@blp.route("/topics/<int:topic_id>/respond")
class Respond(MethodView):
    @require("topic.manage")
    @idempotent
    @blp.arguments(TopicRespondSchema)
    @blp.response(200, TopicDetailSchema)
    def post(self, data, topic_id):
        """Committee: publish the response (处理结果) to a closed topic"""
        return _detail(service.respond(topic_id, current_actor(), data["response"]))


# --- ballots ------------------------------------------------------------------------------------

@blp.route("/topics/<int:topic_id>/ballots")
class Ballots(MethodView):
    # Not @idempotent on purpose: a stored response would pair this user with the receipt.
    # A retry after a lost response gets 409 already_voted; the ballot is counted either way.
    @require("ballot.cast")
    @blp.arguments(BallotCastSchema)
    @blp.response(201, ReceiptIssuedSchema)
    @blp.alt_response(409, description="`already_voted`, `household_already_voted`, `voting_closed`, `voting_not_open`")
    @blp.alt_response(403, description="`not_verified` or `not_eligible`")
    def post(self, data, topic_id):
        """Cast a secret ballot; the receipt in the answer is shown once"""
        receipt = casting.cast_ballot(topic_id, current_user_id(), data["option_ids"], current_actor)
        return json_response({"topic_id": topic_id, "receipt": receipt}, 201)  # the hottest write: no dump

    @require("topic.view")
    @blp.response(200, PublishedBallotSchema(many=True))
    @blp.paginate()
    def get(self, topic_id, pagination_parameters):
        """After the close: every ballot in hash-chain order, to recompute the chain and find your receipt's hash"""
        query = ballots.published_ballots(topic_id)
        return [presenters.published_ballot(b) for b in paginate(query, pagination_parameters)]


@blp.route("/topics/<int:topic_id>/results")
class Results(MethodView):
    @require("topic.view")
    @blp.response(200, BallotResultsSchema)
    def get(self, topic_id):
        """Tally, turnout, quorum, outcome and chain hash (live during voting unless counts are hidden)"""
        return presenters.results(ballots.voted_topic(topic_id))


@blp.route("/topics/<int:topic_id>/receipts/<path:receipt>")  # any text: a malformed receipt is simply not found
class Receipt(MethodView):
    @require("topic.view")
    @blp.response(200, ReceiptCheckSchema)
    def get(self, topic_id, receipt):
        """Check a receipt: is that ballot counted, and what does it contain"""
        return presenters.receipt_view(*ballots.check_receipt(topic_id, receipt))


# --- discussion ---------------------------------------------------------------------------------

@blp.route("/topics/<int:topic_id>/comments")
class Comments(MethodView):
    @require("topic.view")
    @blp.response(200, TopicThreadSchema(many=True))
    @blp.paginate()
    def get(self, topic_id, pagination_parameters):
        """The discussion: top-level comments (pinned first, then oldest) with their replies"""
        topic = service.get_topic(topic_id)
        page = paginate(comments.threads_query(current_actor(), topic_id), pagination_parameters)
        return presenters.threads(page, topic, current_actor())

    @require("topic.view")
    @idempotent
    @blp.arguments(TopicCommentCreateSchema)
    @blp.response(201, TopicCommentSchema)
    def post(self, data, topic_id):
        """Comment (or reply to a top-level comment) with a stance: for, against or neutral"""
        comment = comments.add_comment(topic_id, current_actor(), data["body"], data["stance"], data["parent_id"])
        return presenters.single_comment(comment, current_actor())


@blp.route("/comments/<int:comment_id>")
class CommentDetail(MethodView):
    @require("comment.author")
    @idempotent
    @blp.arguments(TopicCommentEditSchema)
    @blp.response(200, TopicCommentSchema)
    def patch(self, data, comment_id):
        """Edit my comment; the earlier text is kept for moderators"""
        comment = comments.edit_comment(comment_id, current_actor(), data["body"], data["stance"])
        return presenters.single_comment(comment, current_actor())

    @require("comment.author")
    @blp.response(200, TopicCommentSchema)
    def delete(self, comment_id):
        """Delete my comment; a placeholder keeps the replies in place"""
        return presenters.single_comment(comments.delete_comment(comment_id, current_actor()), current_actor())


@blp.route("/comments/<int:comment_id>/revisions")
class CommentRevisions(MethodView):
    @require("comment.history")
    @blp.response(200, CommentRevisionSchema(many=True))
    def get(self, comment_id):
        """Earlier texts of an edited or deleted comment (author and moderators)"""
        return comments.revisions(comment_id)


@blp.route("/comments/<int:comment_id>/report")
class ReportComment(MethodView):
    @require("comment.view")
    @idempotent
    @blp.arguments(CommentReportSchema)
    @blp.response(200, TopicCommentSchema)
    def post(self, data, comment_id):
        """Report (举报) a comment: spam, abuse, off_topic or privacy; three reports hide it for review"""
        comment = moderation.report(comment_id, current_actor(), data["reason"], data["note"])
        return presenters.single_comment(comment, current_actor())


def _moderation_view(action: str, summary: str):
    """A POST /comments/{id}/<action> endpoint for one moderation action (they differ only in the action)."""
    @require("comment.moderate")
    @idempotent
    @blp.arguments(TopicReasonSchema)
    @blp.response(200, TopicCommentSchema)
    def post(self, data, comment_id):
        comment = moderation.moderate(comment_id, current_actor(), action, data["reason"])
        return presenters.single_comment(comment, current_actor())

    post.__doc__ = summary
    view = type(f"Moderate{action.title()}", (MethodView,), {"post": post})
    blp.route(f"/comments/<int:comment_id>/{action}")(view)


_moderation_view("hide", "Committee: hide a comment (the author is told why)")
_moderation_view("restore", "Committee: show a hidden or held comment again, or dismiss its reports")
_moderation_view("lock", "Committee: lock a thread against new replies")
_moderation_view("unlock", "Committee: unlock a thread")
_moderation_view("pin", "Committee: pin a top-level comment")
_moderation_view("unpin", "Committee: unpin a comment")


@blp.route("/moderation/queue")
class ModerationQueue(MethodView):
    @require("moderation.queue")
    @blp.arguments(ModerationQueueArgsSchema, location="query")
    @blp.response(200, ModerationQueueItemSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Committee: held and reported comments and held topic photos in my communities, oldest first"""
        page = paginate_rows(moderation.queue_query(current_actor(), args.get("community_id")), pagination_parameters)
        return presenters.queue(page, current_actor())


@blp.route("/topics/<int:topic_id>/moderation-log")
class ModerationLog(MethodView):
    @require("topic.manage")
    @blp.response(200, ModerationEntrySchema(many=True))
    @blp.paginate()
    def get(self, topic_id, pagination_parameters):
        """Committee: every moderation action on the topic's comments, who and why, newest first"""
        return paginate(moderation.log_query(topic_id), pagination_parameters)


# --- settings -----------------------------------------------------------------------------------

@blp.route("/communities/<int:community_id>/deliberation-settings")
class Settings(MethodView):
    @require("deliberation_settings.manage")
    @blp.response(200, DeliberationSettingsSchema)
    def get(self, community_id):
        """Committee: the support threshold (count or % of households) and response deadline"""
        return presenters.settings(service.settings_for(community_id))

    @require("deliberation_settings.manage")
    @idempotent
    @blp.arguments(DeliberationSettingsUpdateSchema)
    @blp.response(200, DeliberationSettingsSchema)
    def put(self, data, community_id):
        """Committee: change the support threshold and response deadline (new topics use them)"""
        return presenters.settings(service.update_settings(community_id, current_actor(), data))
