"""Topics (议题), supports, discussion, moderation, and secret ballots.

The ballot tables are the heart of the secret vote: `voters` says who has voted and `ballots` says
what was voted, and nothing joins them (see `Ballot`).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import TimestampMixin, UTCDateTime
from backend.extensions import db

PHASES = ("pending_review", "discussion", "voting", "closed", "rejected", "withdrawn")
BALLOT_TYPES = ("yes_no_abstain", "single", "multiple")
PASS_RULES = ("majority_cast", "two_thirds_cast", "majority_eligible")
VOTE_UNITS = ("person", "household")
OUTCOMES = ("passed", "rejected", "no_quorum")
STANCES = ("for", "against", "neutral")
COMMENT_STATUSES = ("visible", "held", "hidden", "deleted")
REPORT_REASONS = ("spam", "abuse", "off_topic", "privacy")
MODERATION_ACTIONS = ("hide", "restore", "lock", "unlock", "pin", "unpin", "auto_hide")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DeliberationSettings(db.Model):
    """A community's rules for topics: the support threshold (附议门槛) and the response deadline."""

    __tablename__ = "deliberation_settings"
    __table_args__ = (
        sa.CheckConstraint("support_count IS NOT NULL OR support_percent IS NOT NULL", name="some_threshold"),
        sa.CheckConstraint("support_count IS NULL OR support_count >= 1", name="support_count_positive"),
        sa.CheckConstraint("support_percent IS NULL OR (support_percent >= 1 AND support_percent <= 100)",
                           name="support_percent_range"),
        sa.CheckConstraint("response_days >= 1", name="response_days_positive"),
    )

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    support_count: Mapped[int | None] = mapped_column(doc="supports that put a topic on the agenda")
    support_percent: Mapped[int | None] = mapped_column(doc="… or this percentage of the community's households")
    response_days: Mapped[int] = mapped_column(default=15)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class Topic(TimestampMixin, db.Model):
    """A topic (议题) put to a community: proposed, reviewed, discussed, voted on, answered."""

    __tablename__ = "topics"
    __table_args__ = (
        sa.CheckConstraint(_in("phase", PHASES), name="phase_known"),
        sa.CheckConstraint("origin IN ('resident', 'committee')", name="origin_known"),
        sa.CheckConstraint("screening IN ('pass', 'review')", name="screening_known"),
        sa.CheckConstraint("support_count >= 0", name="support_count_not_negative"),
        sa.Index("ix_topics_community_phase", "community_id", "phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    proposer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    origin: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(60))
    body: Mapped[str] = mapped_column(sa.Text)
    phase: Mapped[str] = mapped_column(sa.String(20))
    screening: Mapped[str] = mapped_column(sa.String(8), default="pass", doc="`review`: the checker asked for a human")
    # True when the scope is a list of grids or buildings (rows in topic_scopes), not the whole community.
    scoped: Mapped[bool] = mapped_column(default=False)
    rejection_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    support_threshold: Mapped[int | None] = mapped_column(doc="fixed when the topic enters discussion")
    support_count: Mapped[int] = mapped_column(default=0)
    on_agenda_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    response: Mapped[str] = mapped_column(sa.Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    scopes: Mapped[list[TopicScope]] = relationship(order_by="TopicScope.id", cascade="all, delete-orphan")
    poll: Mapped[Poll | None] = relationship(back_populates="topic", uselist=False, cascade="all, delete-orphan")
    community = relationship("Community")
    proposer = relationship("User", foreign_keys=[proposer_id])


class TopicScope(db.Model):
    """One grid, or one building of a grid, that a scoped topic covers."""

    __tablename__ = "topic_scopes"
    __table_args__ = (sa.UniqueConstraint("topic_id", "grid_id", "building"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id"))
    building: Mapped[str] = mapped_column(sa.String(40), default="", doc="empty: the whole grid")


class TopicSupport(TimestampMixin, db.Model):
    """A verified resident's support (附议) for a topic; one per person."""

    __tablename__ = "topic_supports"
    __table_args__ = (sa.UniqueConstraint("topic_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Poll(db.Model):
    """The vote on a topic: its settings (fixed when voting opens) and, after the close, its result.

    `fixed_at` is when the committee opened voting; from then on nothing here changes until the
    close writes the result columns.
    """

    __tablename__ = "polls"
    __table_args__ = (
        sa.CheckConstraint(_in("ballot_type", BALLOT_TYPES), name="ballot_type_known"),
        sa.CheckConstraint(_in("pass_rule", PASS_RULES), name="pass_rule_known"),
        sa.CheckConstraint(_in("per", VOTE_UNITS), name="per_known"),
        sa.CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES), name="outcome_known"),
        sa.CheckConstraint("quorum_percent >= 0 AND quorum_percent <= 100", name="quorum_range"),
        sa.CheckConstraint("max_choices >= 1", name="max_choices_positive"),
        sa.CheckConstraint("fixed_at IS NULL OR (opens_at IS NOT NULL AND closes_at IS NOT NULL"
                           " AND opens_at < closes_at)", name="fixed_has_times"),
        sa.Index("ix_polls_closes_at", "closes_at"),
    )

    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    ballot_type: Mapped[str] = mapped_column(sa.String(16))
    max_choices: Mapped[int] = mapped_column(default=1)
    per: Mapped[str] = mapped_column(sa.String(10), default="person")
    quorum_percent: Mapped[int] = mapped_column(default=0)
    pass_rule: Mapped[str] = mapped_column(sa.String(20), default="majority_cast")
    hide_counts: Mapped[bool] = mapped_column(default=False)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    eligible_count: Mapped[int | None] = mapped_column(doc="voters (or households) on the roll when voting opened")
    cast_count: Mapped[int | None] = mapped_column(doc="ballots counted at the close")
    quorum_met: Mapped[bool | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    winner_ids: Mapped[list | None] = mapped_column(sa.JSON, doc="choice ballots: options that met the pass rule")
    chain_hash: Mapped[str | None] = mapped_column(sa.String(64), doc="the last link of the ballot hash chain")
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    topic: Mapped[Topic] = relationship(back_populates="poll")
    options: Mapped[list[PollOption]] = relationship(order_by="PollOption.position", cascade="all, delete-orphan")


class PollOption(db.Model):
    """One choice on a ballot; `votes` is filled at the close."""

    __tablename__ = "poll_options"
    __table_args__ = (sa.UniqueConstraint("topic_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.topic_id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(60))
    votes: Mapped[int | None]


class Voter(db.Model):
    """Who has voted on a topic — and nothing about what they voted.

    UNIQUE (topic, user) makes one vote per person a database rule; UNIQUE (topic, household_id)
    does the same per household, because `household_id` is set only when the topic votes per
    household (NULLs never collide). No timestamp: when someone voted is not recorded anywhere.
    """

    __tablename__ = "voters"
    __table_args__ = (sa.UniqueConstraint("topic_id", "user_id"), sa.UniqueConstraint("topic_id", "household_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.topic_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id", ondelete="SET NULL"))


# A random 63-bit key. On SQLite it must be exactly INTEGER to be the rowid itself; otherwise SQLite
# keeps a hidden sequential rowid, which would record the insertion order.
BALLOT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Ballot(db.Model):
    """One secret ballot (选票): what was chosen, the hash of its receipt, and its link in the hash chain.

    Nothing here points at a person: no user or household column, no timestamp, and the key is a
    random number drawn per ballot, so neither the key nor key order says who voted or when. A
    voter's `Voter` row and their `Ballot` row are written in one transaction (so a vote is never
    recorded without its ballot, or the reverse); on PostgreSQL that transaction leaves its id in
    the system column `xmin` and the heap order (`ctid`) of both rows while voting is open.

    So while voting is open the row stores nothing that is kept or published after the close
    (`backend.deliberations.sealing`): `receipt_hash` holds a keyed receipt index (HMAC of the
    receipt's SHA-256 under a per-topic key), `choices` holds that SHA-256 and the choices sealed
    with AES-256-GCM, bound to the topic and the index, and the key is replaced at the close. Both
    per-topic keys derive from the app's `BALLOT_SEAL_KEY` (or `SECRET_KEY`) and are never stored in
    the database. The close opens every ballot and rewrites the topic's ballots with the real
    receipt hash, the plain choices and a fresh random key, in key order, in the closing transaction
    (see `backend.deliberations.ballots.close_voting`): no system column links them to `voters` any
    more, and a copy of the database taken during voting shares no key, receipt hash or stored
    choices with what is published. Database access alone never shows who chose what, during voting
    or after; someone who also holds the app's secret can still pair them from a copy taken while
    voting is open, and the secret must not change while a vote is open.
    """

    __tablename__ = "ballots"

    key: Mapped[int] = mapped_column(BALLOT_KEY, primary_key=True, autoincrement=False)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.topic_id", ondelete="CASCADE"), index=True)
    # Sealed: "v1:" + base64url(12-byte nonce, 32-byte receipt digest and choices, 16-byte tag), 375
    # characters for 20 ten-digit ids.
    choices: Mapped[str] = mapped_column(sa.String(400), doc="sealed until the close; then the chosen option "
                                                             "ids, ascending, comma-separated")
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, doc="the keyed receipt index until the "
                                              "close; then the SHA-256 of the receipt")
    chain_hash: Mapped[str | None] = mapped_column(sa.String(64), doc="set at the close")


class Comment(TimestampMixin, db.Model):
    """A comment in a topic's discussion, or a reply to one (one level), with an optional stance."""

    __tablename__ = "topic_comments"
    __table_args__ = (
        sa.CheckConstraint(_in("status", COMMENT_STATUSES), name="status_known"),
        sa.CheckConstraint("stance IS NULL OR " + _in("stance", STANCES), name="stance_known"),
        sa.CheckConstraint("report_count >= 0", name="report_count_not_negative"),
        sa.Index("ix_topic_comments_topic_parent", "topic_id", "parent_id"),
        sa.Index("ix_topic_comments_queue", "status", "report_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topic_comments.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    stance: Mapped[str | None] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(8), default="visible")
    report_count: Mapped[int] = mapped_column(default=0, doc="open reports, since the last review")
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author = relationship("User")


class CommentRevision(TimestampMixin, db.Model):
    """An earlier text of an edited or deleted comment, kept for moderators."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("topic_comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    stance: Mapped[str | None] = mapped_column(sa.String(8))


class CommentReport(TimestampMixin, db.Model):
    """A resident's report (举报) of a comment; one per person per comment."""

    __tablename__ = "comment_reports"
    __table_args__ = (sa.UniqueConstraint("comment_id", "user_id"),
                      sa.CheckConstraint(_in("reason", REPORT_REASONS), name="reason_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("topic_comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModerationAction(TimestampMixin, db.Model):
    """The log of moderation: who did what to which comment, and why (actor NULL: the system)."""

    __tablename__ = "moderation_actions"
    __table_args__ = (sa.CheckConstraint(_in("action", MODERATION_ACTIONS), name="action_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("topic_comments.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.String(200))
