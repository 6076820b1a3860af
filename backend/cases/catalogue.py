"""The category catalogue — 事项分类目录: seeded defaults, and the district admin's edits.

Two levels: a group (市容环境) and the categories residents choose (路灯损坏). Each category says
what a report must carry (location, photos), whether it may be anonymous, the skill it needs, how
far apart two reports may be and still be the same problem, and its SLA limits. Skills are the ones
staff records use (`backend/grids` StaffSkill): elderly_care, plumbing, electrical, sanitation,
dispute_mediation, greening, security, certificates.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.cases.models import CaseCategory
from backend.core.errors import Conflict, NotFound, Unprocessable
from backend.extensions import db

# (code, name, kind, defaults for the group's children, children)
# A child is (code, name, overrides); limits are minutes to accept and hours to resolve.
INCIDENT = {"kind": "incident", "requires_location": True, "requires_photo": True, "allows_anonymous": True}
SERVICE = {"kind": "service", "requires_location": False, "requires_photo": False, "allows_anonymous": False,
           "dedup_radius_m": 0}
URGENT = {"urgent": True, "accept_minutes": 10, "resolve_hours": 4}

DEFAULT_CATALOGUE: tuple[tuple[str, str, dict, tuple[tuple[str, str, dict], ...]], ...] = (
    ("city_appearance", "市容环境", {**INCIDENT, "accept_minutes": 30, "resolve_hours": 48}, (
        ("streetlight", "路灯损坏", {"skill": "electrical", "dedup_radius_m": 100}),
        ("garbage", "垃圾堆放", {"skill": "sanitation", "dedup_radius_m": 80, "resolve_hours": 24}),
        ("street_vending", "占道经营", {"skill": "security", "dedup_radius_m": 100, "resolve_hours": 24}),
        ("illegal_construction", "违章搭建", {"skill": "security", "dedup_radius_m": 50, "accept_minutes": 60,
                                          "resolve_hours": 72}),
        ("greenery_damage", "绿化损毁", {"skill": "greening", "dedup_radius_m": 100, "accept_minutes": 60,
                                     "resolve_hours": 72}),
        ("manhole_cover", "井盖缺失", {"skill": "plumbing", "dedup_radius_m": 50, **URGENT}),
    )),
    ("public_safety", "公共安全", {**INCIDENT, "accept_minutes": 15, "resolve_hours": 12}, (
        ("fire_lane", "消防通道堵塞", {"skill": "security", "dedup_radius_m": 50, **URGENT}),
        ("ebike_charging", "电动车违规充电", {"skill": "security", "dedup_radius_m": 30}),
        ("safety_hazard", "其他安全隐患", {"skill": "security", "dedup_radius_m": 50, "requires_photo": False}),
    )),
    ("community_order", "社会治理", {**INCIDENT, "requires_photo": False, "accept_minutes": 30, "resolve_hours": 24}, (
        ("noise", "噪声扰民", {"skill": "dispute_mediation", "dedup_radius_m": 200}),
        ("neighbour_dispute", "邻里纠纷", {"skill": "dispute_mediation", "dedup_radius_m": 0, "requires_location": False,
                                      "allows_anonymous": False, "accept_minutes": 60, "resolve_hours": 72}),
        ("pets", "宠物扰民", {"skill": "dispute_mediation", "dedup_radius_m": 100, "resolve_hours": 48}),
    )),
    ("facility_repair", "设施报修", {**INCIDENT, "accept_minutes": 60, "resolve_hours": 72}, (
        ("stairwell_light", "楼道照明损坏", {"skill": "electrical", "dedup_radius_m": 30}),
        ("water_leak", "公共管道漏水", {"skill": "plumbing", "dedup_radius_m": 50, "accept_minutes": 30,
                                   "resolve_hours": 24}),
        ("fitness_equipment", "健身器材损坏", {"skill": None, "dedup_radius_m": 50}),
        ("access_control", "门禁故障", {"skill": "electrical", "dedup_radius_m": 30, "resolve_hours": 48}),
    )),
    ("certificates", "证明开具", {**SERVICE, "skill": "certificates", "accept_minutes": 120, "resolve_hours": 72}, (
        ("residence_certificate", "居住证明", {}),
        ("hardship_certificate", "困难情况证明", {}),
        ("elderly_card", "老年优待证办理", {"skill": "elderly_care"}),
    )),
    ("elderly_services", "助老服务", {**SERVICE, "skill": "elderly_care", "accept_minutes": 60, "resolve_hours": 48}, (
        ("home_visit", "上门探访", {}),
        ("errands", "代办代购", {"resolve_hours": 24}),
        ("elderly_emergency", "老人紧急求助", {"urgent": True, "accept_minutes": 5, "resolve_hours": 2,
                                        "requires_location": True}),
    )),
    ("home_repair", "上门维修", {**SERVICE, "accept_minutes": 120, "resolve_hours": 72}, (
        ("plumbing_repair", "水管维修", {"skill": "plumbing"}),
        ("electrical_repair", "电路维修", {"skill": "electrical"}),
        ("appliance_repair", "小家电维修", {"skill": "electrical", "resolve_hours": 120}),
    )),
    ("consultation", "政策咨询", {**SERVICE, "accept_minutes": 240, "resolve_hours": 72}, (
        ("policy_question", "政策咨询", {}),
        ("social_security", "社保医保咨询", {}),
    )),
)

RULES = ("requires_location", "requires_photo", "allows_anonymous", "skill", "dedup_radius_m", "accept_minutes",
         "resolve_hours", "urgent")
EDITABLE = ("name", "description", *RULES, "active", "sort_order")


def default_rows() -> list[dict]:
    """The default catalogue as rows (groups before their children), `parent_code` naming the group."""
    rows = []
    for group_order, (code, name, defaults, children) in enumerate(DEFAULT_CATALOGUE):
        base = {"requires_location": True, "requires_photo": False, "allows_anonymous": False, "skill": None,
                "dedup_radius_m": 100, "accept_minutes": 60, "resolve_hours": 72, "urgent": False,
                "description": "", "active": True, **defaults}
        rows.append({**base, "code": code, "name": name, "parent_code": None, "sort_order": group_order * 100})
        for order, (child_code, child_name, overrides) in enumerate(children, start=1):
            rows.append({**base, **overrides, "code": child_code, "name": child_name, "parent_code": code,
                         "sort_order": group_order * 100 + order})
    return rows


def ensure_default_categories(bind=None) -> int:
    """Insert the default categories that are missing (by code); never touches existing ones. Returns how many.

    `bind` may be an Alembic connection (`op.get_bind()`) for a data migration; the app's session otherwise.
    """
    bind = bind if bind is not None else db.session
    table = CaseCategory.__table__
    ids = dict(bind.execute(sa.select(table.c.code, table.c.id)).all())
    added = 0
    for row in default_rows():
        if row["code"] in ids:
            continue
        values = {key: value for key, value in row.items() if key != "parent_code"}
        values["parent_id"] = ids.get(row["parent_code"]) if row["parent_code"] else None
        ids[row["code"]] = bind.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one()
        added += 1
    return added


# --- reading ------------------------------------------------------------------------------------

def catalogue(kind: str | None = None, include_inactive: bool = False) -> list[CaseCategory]:
    """Groups in display order, each with `.children` (a list) attached."""
    query = sa.select(CaseCategory).order_by(CaseCategory.sort_order, CaseCategory.id)
    if kind:
        query = query.where(CaseCategory.kind == kind)
    if not include_inactive:
        query = query.where(CaseCategory.active.is_(True))
    rows = db.session.scalars(query).all()
    groups = [row for row in rows if row.parent_id is None]
    by_parent: dict[int, list[CaseCategory]] = {}
    for row in rows:
        if row.parent_id is not None:
            by_parent.setdefault(row.parent_id, []).append(row)
    for group in groups:
        group.children = by_parent.get(group.id, [])
    return groups


def selectable_category(code: str) -> CaseCategory:
    """The active second-level category a case may be filed under, or 422."""
    category = db.session.scalar(sa.select(CaseCategory).where(CaseCategory.code == code))
    if category is None or not category.active or (category.parent is not None and not category.parent.active):
        raise Unprocessable("没有这个事项分类", reason="unknown_category",
                            errors={"json": {"category_code": ["没有这个事项分类"]}})
    if category.parent_id is None:
        raise Unprocessable("请选择具体的事项分类", reason="category_not_selectable",
                            errors={"json": {"category_code": ["请选择二级分类"]}})
    return category


def get_category(category_id: int) -> CaseCategory:
    category = db.session.get(CaseCategory, category_id)
    if category is None:
        raise NotFound("事项分类不存在", reason="category_not_found")
    return category


# --- the district admin's edits -----------------------------------------------------------------

def create_category(values: dict) -> CaseCategory:
    """Add a category; a child inherits its group's kind and, where not given, its limits."""
    parent = None
    if values.get("parent_code"):
        parent = db.session.scalar(sa.select(CaseCategory).where(CaseCategory.code == values["parent_code"]))
        if parent is None or parent.parent_id is not None:
            raise Unprocessable("上级分类不存在或不是一级分类", reason="invalid_parent",
                                errors={"json": {"parent_code": ["上级分类不存在或不是一级分类"]}})
        if values.get("kind") and values["kind"] != parent.kind:
            raise Unprocessable("分类类型须与上级一致", reason="kind_mismatch",
                                errors={"json": {"kind": ["分类类型须与上级一致"]}})
    elif not values.get("kind"):
        raise Unprocessable("一级分类须指定类型", reason="kind_required", errors={"json": {"kind": ["必填"]}})
    inherited = {field: getattr(parent, field) for field in RULES} if parent is not None else {}
    fields = {**inherited, **{k: v for k, v in values.items() if k in EDITABLE}}
    category = CaseCategory(code=values["code"], kind=parent.kind if parent else values["kind"],
                            parent_id=parent.id if parent else None, **fields)
    db.session.add(category)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("分类代码已存在", reason="category_code_taken") from None
    return category


def update_category(category_id: int, changes: dict) -> CaseCategory:
    """Change a category's name, rules or limits; new limits apply to cases submitted from now on."""
    category = get_category(category_id)
    for field in EDITABLE:
        if field in changes:
            setattr(category, field, changes[field])
    db.session.commit()
    return category

