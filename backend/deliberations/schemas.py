"""Request and response schemas of the deliberation endpoints."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import MAX_ID, Id, Text
from backend.deliberations.models import BALLOT_TYPES, PASS_RULES, PHASES, REPORT_REASONS, STANCES, VOTE_UNITS

MAX_OPTIONS = 20


class Moment(ma.fields.AwareDateTime):
    """An ISO-8601 time with an offset, returned in UTC; years outside 2000–2100 are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = moment.astimezone(timezone.utc)
        except OverflowError:
            raise ma.ValidationError("时间超出范围") from None
        if not 2000 <= moment.year <= 2100:
            raise ma.ValidationError("时间超出范围")
        return moment


# --- requests -----------------------------------------------------------------------------------

class BallotSpecSchema(ma.Schema):
    type = Text(required=True, validate=validate.OneOf(BALLOT_TYPES))
    options = ma.fields.List(Text(validate=validate.Length(min=1, max=60)), load_default=list,
                             validate=validate.Length(max=MAX_OPTIONS),
                             metadata={"description": "Choices of a `single` or `multiple` ballot (2–20); "
                                                      "`yes_no_abstain` has fixed options 赞成/反对/弃权"})
    max_choices = ma.fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1, max=MAX_OPTIONS),
                                    metadata={"description": "`multiple` only: how many options a voter may pick"})
    per = Text(load_default="person", validate=validate.OneOf(VOTE_UNITS),
               metadata={"description": "`household`: one vote per household (户代表)"})
    quorum_percent = ma.fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100))
    pass_rule = Text(load_default="majority_cast", validate=validate.OneOf(PASS_RULES))
    hide_counts_until_close = ma.fields.Boolean(load_default=False)

    @ma.validates_schema
    def _options_fit_the_type(self, data, **_):
        options = data.get("options", [])
        if data["type"] == "yes_no_abstain":
            if options:
                raise ma.ValidationError("赞成/反对/弃权投票的选项是固定的，无需填写", "options")
            if data.get("max_choices") not in (None, 1):
                raise ma.ValidationError("该类型只能选一项", "max_choices")
            return
        if len(options) < 2:
            raise ma.ValidationError("请至少填写两个选项", "options")
        if len(set(options)) != len(options):
            raise ma.ValidationError("选项不能重复", "options")
        if data["type"] == "single" and data.get("max_choices") not in (None, 1):
            raise ma.ValidationError("单选投票只能选一项", "max_choices")
        if data["type"] == "multiple" and (data.get("max_choices") or 1) > len(options):
            raise ma.ValidationError("最多可选项数不能超过选项数", "max_choices")

    @ma.post_load
    def _default_max_choices(self, data, **_):
        if data.get("max_choices") is None:
            data["max_choices"] = len(data["options"]) if data["type"] == "multiple" else 1
        return data


class BuildingScopeSchema(ma.Schema):
    grid_id = Id(required=True, strict=True)
    building = Text(required=True, validate=validate.Length(min=1, max=40))


class TopicCreateSchema(ma.Schema):
    title = Text(required=True, validate=validate.Length(min=2, max=40))
    body = Text(required=True, validate=validate.Length(min=2, max=2000))
    community_id = Id(strict=True,
                      metadata={"description": "Required for a committee; a resident's own community by default"})
    grid_ids = ma.fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=50),
                              metadata={"description": "Scope: these grids (none, and no buildings: the community)"})
    buildings = ma.fields.List(ma.fields.Nested(BuildingScopeSchema), load_default=list,
                               validate=validate.Length(max=50), metadata={"description": "Scope: these buildings"})
    photo_ids = ma.fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=9),
                               metadata={"description": "Photos from POST /api/v1/uploads"})
    ballot = ma.fields.Nested(BallotSpecSchema, allow_none=True, load_default=None)


class TopicListArgsSchema(ma.Schema):
    phase = Text(validate=validate.OneOf(PHASES))
    community_id = Id()
    view = Text(load_default="all", validate=validate.OneOf(("all", "mine", "supported")))
    overdue = ma.fields.Boolean(load_default=False,
                                metadata={"description": "Only closed topics whose response is overdue"})


class TopicApproveSchema(ma.Schema):
    ballot = ma.fields.Nested(BallotSpecSchema, allow_none=True, load_default=None)


class TopicReasonSchema(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=200))


class OpenVotingSchema(ma.Schema):
    closes_at = Moment(required=True)
    opens_at = Moment(load_default=None, allow_none=True, metadata={"description": "Default: now"})
    ballot = ma.fields.Nested(BallotSpecSchema, allow_none=True, load_default=None,
                              metadata={"description": "Replaces the ballot settings before they are fixed"})


class TopicRespondSchema(ma.Schema):
    response = Text(required=True, validate=validate.Length(min=2, max=2000))


class TopicCommentCreateSchema(ma.Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=500))
    stance = Text(load_default=None, allow_none=True, validate=validate.OneOf(STANCES))
    parent_id = Id(strict=True, load_default=None, allow_none=True,
                   metadata={"description": "Reply to this top-level comment"})


class TopicCommentEditSchema(ma.Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=500))
    stance = Text(load_default=None, allow_none=True, validate=validate.OneOf(STANCES))


class CommentReportSchema(ma.Schema):
    reason = Text(required=True, validate=validate.OneOf(REPORT_REASONS))
    note = Text(load_default="", validate=validate.Length(max=200))


class BallotCastSchema(ma.Schema):
    option_ids = ma.fields.List(Id(strict=True), required=True, validate=validate.Length(min=1, max=MAX_OPTIONS))

    @staticmethod
    def fast_load(data):
        """`{"option_ids": [1–20 ids]}` without marshmallow: a ballot is the hottest write (see
        `backend.core.api`); anything else, None, goes through the fields above."""
        if type(data) is dict and len(data) == 1:
            ids = data.get("option_ids")
            if (type(ids) is list and 1 <= len(ids) <= MAX_OPTIONS
                    and all(type(i) is int and 1 <= i <= MAX_ID for i in ids)):
                return {"option_ids": list(ids)}
        return None


class DeliberationSettingsUpdateSchema(ma.Schema):
    support_count = ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100_000))
    support_percent = ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100))
    response_days = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=90))


class ModerationQueueArgsSchema(ma.Schema):
    community_id = Id()


# --- responses ----------------------------------------------------------------------------------

class TopicPersonSchema(ma.Schema):
    id = ma.fields.Integer()
    nickname = ma.fields.String()


class TopicSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    phase = ma.fields.String(metadata={"description": " | ".join(PHASES)})
    origin = ma.fields.String(metadata={"description": "resident | committee"})
    community_id = ma.fields.Integer()
    support_count = ma.fields.Integer()
    support_threshold = ma.fields.Integer(allow_none=True)
    on_agenda = ma.fields.Boolean()
    opens_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True, metadata={"description": "passed | rejected | no_quorum"})
    response_due_at = ma.fields.DateTime(allow_none=True)
    response_overdue = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class BallotOptionSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()
    count = ma.fields.Integer(allow_none=True, metadata={"description": "null while counts are hidden"})
    percent = ma.fields.Float(allow_none=True, metadata={"description": "of ballots cast"})


class BallotViewSchema(ma.Schema):
    type = ma.fields.String()
    max_choices = ma.fields.Integer()
    per = ma.fields.String()
    quorum_percent = ma.fields.Integer()
    pass_rule = ma.fields.String()
    hide_counts_until_close = ma.fields.Boolean()
    fixed = ma.fields.Boolean(metadata={"description": "Settings fixed: voting is scheduled or open"})
    opens_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    eligible = ma.fields.Integer(allow_none=True, metadata={"description": "Voters (or households) on the roll"})
    cast = ma.fields.Integer(allow_none=True, metadata={"description": "Ballots cast so far"})
    counts_visible = ma.fields.Boolean()
    options = ma.fields.List(ma.fields.Nested(BallotOptionSchema))


class TopicResponseSchema(ma.Schema):
    text = ma.fields.String(allow_none=True)
    responded_at = ma.fields.DateTime(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean()


class BallotResultOptionSchema(BallotOptionSchema):
    winner = ma.fields.Boolean()


class BallotResultsSchema(ma.Schema):
    topic_id = ma.fields.Integer()
    phase = ma.fields.String()
    final = ma.fields.Boolean(metadata={"description": "Tallied at the close; otherwise live (if not hidden)"})
    counts_hidden = ma.fields.Boolean()
    ballot_type = ma.fields.String()
    per = ma.fields.String()
    pass_rule = ma.fields.String()
    quorum_percent = ma.fields.Integer()
    opens_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    eligible = ma.fields.Integer(allow_none=True)
    cast = ma.fields.Integer(allow_none=True)
    turnout_percent = ma.fields.Float(allow_none=True)
    quorum_met = ma.fields.Boolean(allow_none=True)
    outcome = ma.fields.String(allow_none=True, metadata={"description": "passed | rejected | no_quorum"})
    options = ma.fields.List(ma.fields.Nested(BallotResultOptionSchema))
    chain_hash = ma.fields.String(allow_none=True, metadata={"description": "Final link of the ballot hash chain"})
    ballots_counted = ma.fields.Integer(allow_none=True)
    tallied_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    response = ma.fields.Nested(TopicResponseSchema, allow_none=True)


class TopicScopeViewSchema(ma.Schema):
    whole_community = ma.fields.Boolean()
    grid_ids = ma.fields.List(ma.fields.Integer())
    buildings = ma.fields.List(ma.fields.Nested(BuildingScopeSchema))


class TopicPhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    thumbnail_url = ma.fields.String()
    screening = ma.fields.String(metadata={"description": "WeChat's image check: pass | pending | review | risky; "
                                                          "only the uploader and managers see other than pass"})


class TopicViewerSchema(ma.Schema):
    is_proposer = ma.fields.Boolean()
    can_manage = ma.fields.Boolean()
    supported = ma.fields.Boolean()
    can_support = ma.fields.Boolean()
    support_refusal = ma.fields.String(allow_none=True, metadata={"description": "reason why not, e.g. not_verified"})
    voted = ma.fields.Boolean()
    household_voted = ma.fields.Boolean()
    can_vote = ma.fields.Boolean()
    vote_refusal = ma.fields.String(allow_none=True, metadata={"description": "reason why not, e.g. already_voted"})


class TopicDetailSchema(TopicSummarySchema):
    body = ma.fields.String()
    community_name = ma.fields.String()
    screening = ma.fields.String(metadata={"description": "`review`: the content checker asked for a human"})
    proposer = ma.fields.Nested(TopicPersonSchema, allow_none=True)
    rejection_reason = ma.fields.String(allow_none=True)
    scope = ma.fields.Nested(TopicScopeViewSchema)
    photos = ma.fields.List(ma.fields.Nested(TopicPhotoSchema))
    on_agenda_at = ma.fields.DateTime(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    comment_count = ma.fields.Integer()
    ballot = ma.fields.Nested(BallotViewSchema, allow_none=True)
    result = ma.fields.Nested(BallotResultsSchema, allow_none=True)
    response = ma.fields.Nested(TopicResponseSchema, allow_none=True)
    viewer = ma.fields.Nested(TopicViewerSchema)


class ReceiptIssuedSchema(ma.Schema):
    topic_id = ma.fields.Integer()
    receipt = ma.fields.String(metadata={"description": "Shown once: keep it to check your ballot later"})


class ReceiptChoiceSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()


class ReceiptCheckSchema(ma.Schema):
    topic_id = ma.fields.Integer()
    counted = ma.fields.Boolean()
    final = ma.fields.Boolean(metadata={"description": "The vote is closed and this ballot is in the tally"})
    choices = ma.fields.List(ma.fields.Nested(ReceiptChoiceSchema))
    receipt_hash = ma.fields.String(metadata={"description": "Find it in GET /topics/{id}/ballots after the close"})
    chain_hash = ma.fields.String(allow_none=True)


class PublishedBallotSchema(ma.Schema):
    receipt_hash = ma.fields.String()
    option_ids = ma.fields.List(ma.fields.Integer())
    chain_hash = ma.fields.String()


class TopicCommentSchema(ma.Schema):
    id = ma.fields.Integer()
    topic_id = ma.fields.Integer()
    parent_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(metadata={"description": "visible | held (awaiting review) | hidden | deleted"})
    body = ma.fields.String(metadata={"description": "Empty for a hidden or deleted comment"})
    stance = ma.fields.String(allow_none=True, metadata={"description": "for | against | neutral"})
    author = ma.fields.Nested(TopicPersonSchema, allow_none=True)
    mine = ma.fields.Boolean()
    pinned = ma.fields.Boolean()
    locked = ma.fields.Boolean()
    edited = ma.fields.Boolean()
    report_count = ma.fields.Integer(allow_none=True, metadata={"description": "Moderators only"})
    created_at = ma.fields.DateTime()
    edited_at = ma.fields.DateTime(allow_none=True)


class TopicThreadSchema(TopicCommentSchema):
    replies = ma.fields.List(ma.fields.Nested(TopicCommentSchema))


class CommentRevisionSchema(ma.Schema):
    body = ma.fields.String()
    stance = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(metadata={"description": "When this text was replaced"})


class ModerationQueuePhotoSchema(TopicPhotoSchema):
    topic_id = ma.fields.Integer()
    uploader = ma.fields.Nested(TopicPersonSchema, allow_none=True)
    uploaded_at = ma.fields.DateTime()


class ModerationQueueItemSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "comment | photo: which of `comment` and `photo` the item has"})
    comment = ma.fields.Nested(TopicCommentSchema, metadata={"description": "`comment` items only"})
    photo = ma.fields.Nested(ModerationQueuePhotoSchema, metadata={
        "description": "`photo` items only: a topic photo the image check held for review (`review`), or "
                       "still `pending` 30 minutes after its upload; decide it with POST /api/v1/media/{id}/screening"})
    topic_title = ma.fields.String()
    community_id = ma.fields.Integer()
    reports = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                             metadata={"description": "`comment` items only: open reports by reason"})


class ModerationEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    comment_id = ma.fields.Integer()
    actor_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: the three-report rule"})
    action = ma.fields.String()
    reason = ma.fields.String()
    created_at = ma.fields.DateTime()


class DeliberationSettingsSchema(ma.Schema):
    community_id = ma.fields.Integer()
    support_count = ma.fields.Integer(allow_none=True)
    support_percent = ma.fields.Integer(allow_none=True)
    response_days = ma.fields.Integer()
