"""The 爱心超市 (community charity supermarket): a catalogue priced in points, redemptions with pickup
codes, and the keeper's counter.

Redeeming spends points and stock in one transaction: under the volunteer's lock the balance is
read, the stock is taken with `UPDATE … SET stock = stock - 1 WHERE stock > 0 RETURNING points`, and
a negative ledger row is written. Fifty concurrent redemptions against a balance that covers ten
succeed exactly ten times; see `backend.volunteering.locking` for why on both databases.
"""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.core.db import utcnow
from backend.core.errors import Conflict, InvalidTransition, NotFound
from backend.extensions import db
from backend.volunteering import ledger
from backend.volunteering.locking import lock_volunteer
from backend.volunteering.models import PointsEntry, Redemption, Reward
from backend.volunteering.service import get_community

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # read aloud at the counter: no 0/O, 1/I/L
CODE_LENGTH = 8


def get_reward(reward_id: int) -> Reward:
    reward = db.session.get(Reward, reward_id)
    if reward is None:
        raise NotFound("商品不存在", reason="reward_not_found")
    return reward


def catalogue_query(community_id: int | None, include_inactive: bool = False):
    query = sa.select(Reward).order_by(Reward.community_id, Reward.points, Reward.id)
    if community_id is not None:
        query = query.where(Reward.community_id == community_id)
    if not include_inactive:
        query = query.where(Reward.active)
    return query


def create_reward(community_id: int, name: str, description: str, points: int, stock: int) -> Reward:
    """Put an item in the community's 爱心超市."""
    get_community(community_id)
    reward = Reward(community_id=community_id, name=name, description=description, points=points, stock=stock,
                    active=True)
    db.session.add(reward)
    db.session.commit()
    return reward


def update_reward(reward_id: int, changes: dict) -> Reward:
    """Change an item. Stock moves only by `add_stock`, an atomic increment (never an overwrite that
    could undo a concurrent redemption), and never below zero."""
    get_reward(reward_id)
    values = {field: changes[field] for field in ("name", "description", "points", "active") if field in changes}
    added = changes.get("add_stock", 0)
    if added:
        values["stock"] = Reward.stock + added
    if values:
        updated = db.session.execute(sa.update(Reward).where(Reward.id == reward_id, Reward.stock + added >= 0)
                                     .values(**values).execution_options(synchronize_session=False)).rowcount
        if not updated:
            db.session.rollback()
            raise Conflict("库存不能少于零", reason="stock_negative")
    db.session.commit()
    return db.session.get(Reward, reward_id, populate_existing=True)


def redeem(user_id: int, reward_id: int, now: datetime | None = None) -> Redemption:
    """Spend points on one item: 409 `insufficient_points`, `out_of_stock` or `reward_unavailable` otherwise."""
    reward = get_reward(reward_id)
    if not reward.active:
        raise Conflict("该商品已下架", reason="reward_unavailable")
    lock_volunteer(user_id)  # concurrent redemptions of one person run one after another from here
    available = ledger.balance(user_id)
    price = db.session.scalar(sa.update(Reward).where(Reward.id == reward_id, Reward.stock > 0, Reward.active)
                              .values(stock=Reward.stock - 1).returning(Reward.points)
                              .execution_options(synchronize_session=False))
    if price is None:
        db.session.rollback()
        raise Conflict("该商品已兑完", reason="out_of_stock")
    if available < price:
        db.session.rollback()  # gives the stock back
        raise Conflict(f"积分不足：需要 {price} 积分，您有 {available} 积分", reason="insufficient_points")
    redemption = _insert_with_code(Redemption(reward_id=reward_id, user_id=user_id, community_id=reward.community_id,
                                              points=price, status="pending", created_at=now or utcnow()))
    db.session.add(PointsEntry(user_id=user_id, community_id=reward.community_id, amount=-price, kind="redemption",
                               dedupe_key=f"redemption:{redemption.id}", redemption_id=redemption.id,
                               note=f"兑换「{reward.name}」"))
    db.session.commit()
    return redemption


def _insert_with_code(redemption: Redemption) -> Redemption:
    for _ in range(5):
        redemption.pickup_code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with db.session.begin_nested():
                db.session.add(redemption)
            return redemption
        except IntegrityError:  # a code collision (the savepoint's rollback expunged the row); draw again
            continue
    raise Conflict("取货码生成失败，请重试", reason="pickup_code_collision")


def get_redemption(redemption_id: int) -> Redemption:
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound("兑换记录不存在", reason="redemption_not_found")
    return redemption


def find_by_code(pickup_code: str) -> Redemption:
    code = "".join(ch for ch in pickup_code.upper() if ch.isalnum())
    redemption = db.session.scalar(sa.select(Redemption).where(Redemption.pickup_code == code))
    if redemption is None:
        raise NotFound("取货码无效", reason="pickup_code_not_found")
    return redemption


def collect(redemption_id: int, keeper_id: int, now: datetime | None = None) -> Redemption:
    """The keeper hands the item over and marks the pickup collected (once)."""
    redemption = get_redemption(redemption_id)
    done = db.session.execute(sa.update(Redemption).where(Redemption.id == redemption_id, Redemption.status == "pending")
                              .values(status="collected", collected_at=now or utcnow(), collected_by_id=keeper_id)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        db.session.refresh(redemption)
        if redemption.status == "collected":
            raise Conflict("该取货码已领取", reason="already_collected")
        raise InvalidTransition("该兑换已取消", reason="redemption_cancelled")
    db.session.commit()
    return db.session.get(Redemption, redemption_id, populate_existing=True)


def cancel(redemption_id: int, by_user_id: int, now: datetime | None = None) -> Redemption:
    """Cancel an uncollected redemption: the stock goes back and the points come back as a refund row."""
    redemption = get_redemption(redemption_id)
    done = db.session.execute(sa.update(Redemption).where(Redemption.id == redemption_id, Redemption.status == "pending")
                              .values(status="cancelled", cancelled_at=now or utcnow(), cancelled_by_id=by_user_id)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        raise InvalidTransition("只能取消尚未领取的兑换", reason="not_cancellable")
    db.session.execute(sa.update(Reward).where(Reward.id == redemption.reward_id).values(stock=Reward.stock + 1)
                       .execution_options(synchronize_session=False))
    db.session.add(PointsEntry(user_id=redemption.user_id, community_id=redemption.community_id,
                               amount=redemption.points, kind="refund", dedupe_key=f"refund:{redemption.id}",
                               redemption_id=redemption.id, note="取消兑换，积分退回"))
    db.session.commit()
    return db.session.get(Redemption, redemption_id, populate_existing=True)


def my_redemptions_query(user_id: int):
    return sa.select(Redemption).where(Redemption.user_id == user_id).order_by(Redemption.id.desc())


def shop_redemptions_query(community_id: int, status: str | None):
    get_community(community_id)
    query = sa.select(Redemption).where(Redemption.community_id == community_id)
    if status is not None:
        query = query.where(Redemption.status == status)
    return query.order_by(Redemption.id.desc())
