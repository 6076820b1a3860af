"""Demo data — 演示数据: a 吴中区-like district with streets, communities, grids, staff, rosters and residents,
and a set of sample cases in every state.

Everything is drawn from one fixed random seed, so openids, grid codes and invite codes are the same
on every machine. The grids go through the real importer (same validation as a production file);
people, roles, rosters and households follow as bulk inserts in the same transaction. Because the
district is written all at once, its last row marks it complete.

The sample cases then go through the case service, one transition at a time, each at its own moment
in the past days (routing, SLA deadlines and escalations as the system would have done them), so
their timelines, assignments and notifications are what real use leaves behind. Each is recognised
by its description: a second seed finds them all and returns at once, an interrupted one adds only
the missing ones.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

import shapely
import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import Household, HouseholdInvite, HouseholdMember, RoleAssignment, User
from backend.accounts.service import INVITE_ALPHABET, INVITE_LENGTH
from backend.cases import service as cases
from backend.cases.catalogue import ensure_default_categories, selectable_category
from backend.cases.models import OPEN_STATUSES, Case
from backend.core.auth import load_actor
from backend.core.db import utcnow
from backend.core.errors import Conflict, Forbidden
from backend.extensions import db
from backend.grids.importer import import_grids
from backend.grids.models import Community, District, DutyException, DutyWindow, Grid, StaffSkill, Street
from backend.grids.service import local_tz

SEED = 320506
DISTRICT_CODE, DISTRICT_NAME = "320506", "吴中区"
# The district rectangle (lng, lat): about 28 km × 18 km around 120.63, 31.27.
WEST, SOUTH, EAST, NORTH = 120.48, 31.19, 120.78, 31.35
# A lattice of 30 × 24 cells: each street is a strip 6 cells wide, each community a block of
# 2 × 6 cells (3 blocks across, 4 up), each grid 1 cell wide and 2 or 3 cells tall.
LATTICE_COLS, LATTICE_ROWS = 30, 24
BLOCKS_ACROSS, BLOCK_COLS, BLOCK_ROWS = 3, 2, 6
JITTER = 0.15  # of a cell, for interior lattice vertices only, so the outline stays a rectangle
FOUR_GRIDS = ((0, 0, 1, 3), (0, 3, 1, 6), (1, 0, 2, 3), (1, 3, 2, 6))
FIVE_GRIDS = ((0, 0, 1, 3), (0, 3, 1, 6), (1, 0, 2, 2), (1, 2, 2, 4), (1, 4, 2, 6))

STREETS = (
    ("001", "长桥街道", ("龙桥社区", "新家社区", "龙西社区", "南石湖社区", "泾上社区", "宝带桥社区",
                     "友新社区", "蠡墅社区", "旺山社区", "新南社区", "溪水岸社区", "长桥村")),
    ("002", "郭巷街道", ("郭巷社区", "尹山湖社区", "淞泽社区", "东方社区", "吴淞社区", "国泰社区",
                     "姜庄社区", "金谷社区", "尹山村", "郭新村", "江湾村", "东山浜村")),
    ("003", "越溪街道", ("越溪社区", "吴山社区", "南山社区", "溪上社区", "珠村社区", "越湖社区",
                     "东吴社区", "木林社区", "旺山村", "莫舍村", "张桥村", "石湖东村")),
    ("004", "城南街道", ("宝南社区", "吴中社区", "南苑社区", "龙湖社区", "澹台湖社区", "迎春社区",
                     "盛南社区", "东湖社区", "越秀社区", "苏蠡社区", "塘桥社区", "联丰村")),
    ("005", "横泾街道", ("横泾社区", "上林社区", "新齐社区", "长远社区", "东林渡社区", "太湖湾社区",
                     "尧南村", "上堡村", "新路村", "林渡村", "西塘河村", "堰头村")),
)
SKILLS = ("elderly_care", "plumbing", "electrical", "sanitation", "dispute_mediation", "greening", "security",
          "certificates")
WORKERS_PER_GRID = 3
RESIDENTS = 3000
INVITES_PER_COMMUNITY = 3
HOUSEHOLD_SIZES = ((1, 15), (2, 35), (3, 30), (4, 15), (5, 5))  # (members, weight)
COMPOUND_SUFFIXES = ("新村", "花园", "家园", "苑", "公寓")

DAY_SHIFT = (time(8, 30), time(17, 30))
# A night runs 17:30 → 08:30 next day; a window cannot cross midnight, so it is stored as two.
EVENING, EARLY_MORNING = (time(17, 30), time.max), (time(0, 0), time(8, 30))
WEEKDAYS, WEEKEND, TUESDAY_TO_SATURDAY = range(0, 5), range(5, 7), range(1, 6)
LEAVE_REASONS = ("年假", "病假", "事假", "调休")

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛顾钱严戴陶龚华浦")
GIVEN_CHARS = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰春梅海燕亮婷雪琳晨宇浩然欣怡子涵梓萱俊杰"
               "嘉怡佳琪文博思远雨轩一鸣晓东立新永康德胜慧芳凤琴云飞")
NICKNAME_WORDS = ("阳光", "微笑", "静待花开", "岁月静好", "向日葵", "清风", "小确幸", "平安是福", "知足常乐", "晨曦",
                  "太湖渔歌", "姑苏人家", "石湖烟雨", "水乡人", "随遇而安", "简单就好", "荷塘月色", "快乐每一天",
                  "一路向前", "春暖花开", "天天开心", "好运来", "木棉", "橘子汽水", "小鱼儿", "大白", "青柠", "海阔天空")
NICKNAME_TITLES = ("阿姨", "叔叔", "师傅", "老师", "大姐", "阿婆", "老伯")
NICKNAME_LATIN = ("Lily", "Tom", "Amy", "Jack", "Coco", "Leo", "Mia", "Kevin", "Vivian", "Eric", "Grace", "Tony")
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                  "156", "157", "158", "159", "177", "180", "181", "182", "185", "186", "187", "188", "189", "199")


class DemoRefused(Conflict):
    """The database already holds grids that are not a complete demo."""

    reason, message = "demo_refused", "库中已有网格数据但不是完整的演示数据；演示数据只能写入没有网格的空库"


# --- geometry, shared with bench/locate.py ------------------------------------------------------

def jittered_lattice(west: float, south: float, east: float, north: float, cols: int, rows: int,
                     jitter: float, rng: random.Random) -> list[list[tuple[float, float]]]:
    """Vertices `[row][col]` of a cols × rows lattice over a rectangle; interior ones moved by up to `jitter` of a cell.

    Neighbouring polygons built from the same lattice share their vertices exactly, so they adjoin
    without gaps or overlaps; vertices on the outline stay put, so the union is the rectangle.
    """
    dx, dy = (east - west) / cols, (north - south) / rows
    xs = [west + c * dx for c in range(cols)] + [east]
    ys = [south + r * dy for r in range(rows)] + [north]
    lattice = []
    for r in range(rows + 1):
        row = []
        for c in range(cols + 1):
            x, y = xs[c], ys[r]
            if 0 < c < cols and 0 < r < rows:
                x += rng.uniform(-jitter, jitter) * dx
                y += rng.uniform(-jitter, jitter) * dy
            row.append((round(x, 6), round(y, 6)))
        lattice.append(row)
    return lattice


def lattice_ring(lattice, c0: int, r0: int, c1: int, r1: int) -> list[list[float]]:
    """The closed counter-clockwise ring around lattice cells [c0, c1) × [r0, r1), through every lattice vertex on it."""
    path = ([(c, r0) for c in range(c0, c1)] + [(c1, r) for r in range(r0, r1)]
            + [(c, r1) for c in range(c1, c0, -1)] + [(c0, r) for r in range(r1, r0, -1)] + [(c0, r0)])
    return [list(lattice[r][c]) for c, r in path]


def district_features(rng: random.Random) -> dict:
    """The demo district as a GeoJSON FeatureCollection of adjoining grid polygons."""
    lattice = jittered_lattice(WEST, SOUTH, EAST, NORTH, LATTICE_COLS, LATTICE_ROWS, JITTER, rng)
    features = []
    for s, (street_suffix, street_name, community_names) in enumerate(STREETS):
        for i, community_name in enumerate(community_names):
            community_code = f"{DISTRICT_CODE}-{street_suffix}-{i + 1:03d}"
            col = s * BLOCKS_ACROSS * BLOCK_COLS + (i % BLOCKS_ACROSS) * BLOCK_COLS
            row = (i // BLOCKS_ACROSS) * BLOCK_ROWS
            layout = FIVE_GRIDS if (s * len(community_names) + i) % 3 == 0 else FOUR_GRIDS
            for n, (c0, r0, c1, r1) in enumerate(layout, start=1):
                ring = lattice_ring(lattice, col + c0, row + r0, col + c1, row + r1)
                features.append({"type": "Feature",
                                 "geometry": {"type": "Polygon", "coordinates": [ring]},
                                 "properties": {"code": f"{community_code}-{n:02d}", "name": f"{community_name}第{n}网格",
                                                "community_name": community_name, "street_name": street_name,
                                                "district_name": DISTRICT_NAME}})
    return {"type": "FeatureCollection", "features": features}


# --- seeding ------------------------------------------------------------------------------------

@dataclass
class DemoSummary:
    """What `seed_demo` found or wrote, for the command's output."""

    skipped: bool
    counts: dict[str, int]
    invites: list[tuple[str, str, str]] = field(default_factory=list)  # (code, community, address)
    busiest_staff: str | None = None  # openid of whoever holds the most open sample cases

    def lines(self) -> list[str]:
        c = self.counts
        head = "演示数据已完整，无需重复写入。" if self.skipped else "演示数据写入完成。"
        lines = [head,
                 f"  街道 {c['streets']} 个，社区 {c['communities']} 个，网格 {c['grids']} 个",
                 f"  网格长 {c['leaders']} 人，网格员 {c['workers']} 人，社区两委 {c['committee']} 人，"
                 f"街道管理员 {c['street_admins']} 人，区管理员 {c['district_admins']} 人",
                 f"  居民 {c['residents']} 人（已认证），住户 {c['households']} 户，入户邀请码 {c['invites']} 个",
                 "  开发登录示例：dev:demo-admin、dev:demo-street-320506-001、dev:demo-committee-320506-001-001、"
                 "dev:demo-leader-320506-001-001-01、dev:demo-worker-320506-001-001-01-1、dev:demo-resident-1"]
        for code, community, address in self.invites:
            lines.append(f"  可试用的入户邀请码：{code}（{community} {address}）")
        if c["cases"]:
            where = ["dev:demo-resident-1 看“我的工单”"]
            if self.busiest_staff:
                where.append(f"dev:{self.busiest_staff} 看待办任务")
            where.append(f"dev:demo-committee-{SAMPLE_COMMUNITY} 看社区工单")
            lines.append(f"  示例工单 {c['cases']} 件：{'，'.join(where)}")
        return lines


def seed_demo() -> DemoSummary:
    """Write what is missing of the demo: the district and its people (one transaction), then sample cases."""
    if current_app.config.get("LINLI_ENV") == "production":
        raise Forbidden("生产环境不能写入演示数据", reason="demo_not_allowed")
    if demo_complete():
        return _summary(skipped=True)
    if not district_complete():
        if db.session.scalar(sa.select(Grid.id).limit(1)) is not None:
            raise DemoRefused()
        _seed_district()
    seed_sample_cases(utcnow())
    return _summary(skipped=False)


def _summary(skipped: bool) -> DemoSummary:
    return DemoSummary(skipped=skipped, counts=demo_counts(), invites=sample_invites(), busiest_staff=busiest_staff())


def _seed_district() -> None:
    """The district, its staff, rosters, residents and invites, in one transaction."""
    rng = random.Random(SEED)
    now = utcnow()
    import_grids(district_features(rng), commit=False)
    people = _People(rng)
    hierarchy = _hierarchy()
    committee = _add_staff(people, hierarchy, now)
    _add_residents(people, hierarchy, committee, now)
    people.flush()
    db.session.commit()


def demo_complete() -> bool:
    """Whether the whole demo is there: the district and every sample case."""
    return district_complete() and sample_cases_complete()


def district_complete() -> bool:
    """Whether the district was fully written: its admin holds the role and its last resident is housed."""
    last_resident = db.session.scalar(
        sa.select(HouseholdMember.id).join(User, User.id == HouseholdMember.user_id)
        .where(User.openid == f"demo-resident-{RESIDENTS}"))
    admin_role = db.session.scalar(
        sa.select(RoleAssignment.id).join(User, User.id == RoleAssignment.user_id)
        .where(User.openid == "demo-admin", RoleAssignment.role == "district_admin"))
    return last_resident is not None and admin_role is not None


def demo_counts() -> dict[str, int]:
    """Counts of the demo's rows, by kind."""
    def count(query) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))

    def role(name: str) -> int:
        return count(sa.select(RoleAssignment.id).where(RoleAssignment.role == name))

    return {"streets": count(sa.select(Street.id)), "communities": count(sa.select(Community.id)),
            "grids": count(sa.select(Grid.id)), "leaders": role("grid_leader"), "workers": role("grid_worker"),
            "committee": role("committee"), "street_admins": role("street_admin"),
            "district_admins": role("district_admin"),
            "residents": count(sa.select(User.id).where(User.openid.like("demo-resident-%"))),
            "households": count(sa.select(Household.id)), "invites": count(sa.select(HouseholdInvite.id)),
            "cases": count(sa.select(Case.id))}


def sample_invites(limit: int = 2) -> list[tuple[str, str, str]]:
    """A few live invite codes with their community and address, for the summary."""
    rows = db.session.execute(
        sa.select(HouseholdInvite.code, Community.name, Household.address)
        .join(Household, Household.id == HouseholdInvite.household_id).join(Grid, Grid.id == Household.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(HouseholdInvite.revoked_at.is_(None), HouseholdInvite.expires_at > utcnow(),
               HouseholdInvite.uses < HouseholdInvite.max_uses)
        .order_by(HouseholdInvite.id).limit(limit))
    return [tuple(row) for row in rows]


@dataclass
class _Hierarchy:
    district: District
    streets: list[Street]
    communities: list[Community]
    grids_of: dict[int, list[Grid]]  # community id → its grids by code


def _hierarchy() -> _Hierarchy:
    district = db.session.scalar(sa.select(District).where(District.code == DISTRICT_CODE))
    streets = db.session.scalars(sa.select(Street).where(Street.district_id == district.id).order_by(Street.code)).all()
    communities = db.session.scalars(sa.select(Community).where(Community.street_id.in_([s.id for s in streets]))
                                     .order_by(Community.code)).all()
    grids_of: dict[int, list[Grid]] = {}
    for grid in db.session.scalars(sa.select(Grid).where(Grid.community_id.in_([c.id for c in communities]))
                                   .order_by(Grid.code)):
        grids_of.setdefault(grid.community_id, []).append(grid)
    return _Hierarchy(district, list(streets), list(communities), grids_of)


class _People:
    """Collects users and their rows, then writes them with a handful of bulk inserts."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.users: list[dict] = []
        self.rows: dict[type, list[dict]] = {RoleAssignment: [], StaffSkill: [], DutyWindow: [], DutyException: []}
        # (household row, [(member position, joined at)], invite row or None)
        self.households: list[tuple[dict, list[tuple[int, datetime]], dict | None]] = []
        self._phones: set[str] = set()
        self._codes: set[str] = set()

    def user(self, openid: str, nickname: str, real_name: str = "") -> int:
        """Queue a user; returns its position, resolved to an id on flush."""
        self.users.append({"openid": openid, "nickname": nickname, "real_name": real_name, "phone": self.phone()})
        return len(self.users) - 1

    def add(self, model: type, user: int, **values) -> None:
        self.rows[model].append({"user_id": user, **values})

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def real_name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def nickname(self) -> str:
        style = self.rng.random()
        if style < 0.35:
            return self.rng.choice(NICKNAME_WORDS)
        if style < 0.6:
            return self.rng.choice(SURNAMES) + self.rng.choice(NICKNAME_TITLES)
        if style < 0.75:
            return self.rng.choice(("老", "小")) + self.rng.choice(SURNAMES)
        if style < 0.88:
            return self.rng.choice(NICKNAME_LATIN) + self.rng.choice(("", "", "_", ".")) + str(self.rng.randrange(10, 100))
        return self.real_name()

    def invite_code(self) -> str:
        while True:
            code = "".join(self.rng.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
            if code not in self._codes:
                self._codes.add(code)
                return code

    def flush(self) -> None:
        """Insert users (keeping any that already exist by openid), then everything that points at them."""
        existing = dict(db.session.execute(sa.select(User.openid, User.id).where(
            User.openid.in_([u["openid"] for u in self.users]))).all())
        missing = [u for u in self.users if u["openid"] not in existing]
        if missing:
            ids = db.session.scalars(sa.insert(User).returning(User.id, sort_by_parameter_order=True), missing).all()
            existing.update(zip((u["openid"] for u in missing), ids))
        user_ids = [existing[u["openid"]] for u in self.users]
        for model, rows in self.rows.items():
            if rows:
                db.session.execute(sa.insert(model), [{**row, "user_id": user_ids[row["user_id"]]} for row in rows])
        household_rows = [row for row, _, _ in self.households]
        household_ids = db.session.scalars(
            sa.insert(Household).returning(Household.id, sort_by_parameter_order=True), household_rows).all()
        members, invites = [], []
        for household_id, (_, positions, invite) in zip(household_ids, self.households):
            members += [{"household_id": household_id, "user_id": user_ids[p], "joined_at": joined,
                         "verified_at": joined} for p, joined in positions]
            if invite is not None:
                invites.append({**invite, "household_id": household_id, "created_by_id": user_ids[invite["created_by_id"]]})
        db.session.execute(sa.insert(HouseholdMember), members)
        db.session.execute(sa.insert(HouseholdInvite), invites)


def _add_staff(people: _People, hierarchy: _Hierarchy, now: datetime) -> dict[int, int]:
    """The admin, street admins, committee members, and per grid a leader and workers with skills and rosters.

    Returns each community's committee member (a user position), who issues its invites.
    """
    rng, tz = people.rng, local_tz()
    admin = people.user("demo-admin", "区网格中心", people.real_name())
    people.add(RoleAssignment, admin, role="district_admin", scope_type="district", scope_id=hierarchy.district.id)
    for street in hierarchy.streets:
        name = people.real_name()
        user = people.user(f"demo-street-{street.code}", name, name)
        people.add(RoleAssignment, user, role="street_admin", scope_type="street", scope_id=street.id)
    today = now.astimezone(tz).date()
    committee = {}
    for community in hierarchy.communities:
        name = people.real_name()
        committee[community.id] = people.user(f"demo-committee-{community.code}", name, name)
        people.add(RoleAssignment, committee[community.id], role="committee", scope_type="community",
                   scope_id=community.id)
        grids = hierarchy.grids_of[community.id]
        weekday_workers, night_workers = [], []
        for n, grid in enumerate(grids):
            leader = _grid_staff(people, f"demo-leader-{grid.code}", "grid_leader", grid)
            _windows(people, leader, WEEKDAYS, DAY_SHIFT)
            for k in range(1, WORKERS_PER_GRID + 1):
                worker = _grid_staff(people, f"demo-worker-{grid.code}-{k}", "grid_worker", grid)
                if k == 1 or (k == 2 and n % 2 == 0):
                    _windows(people, worker, WEEKDAYS, DAY_SHIFT)
                    weekday_workers.append(worker)
                elif k == 2:
                    _windows(people, worker, TUESDAY_TO_SATURDAY, DAY_SHIFT)
                else:
                    _windows(people, worker, WEEKEND, DAY_SHIFT)
                    night_workers.append(worker)
            if n == 0 and community.code.endswith("1"):
                # A few leaders cover a weekend volunteer activity: an extra shift beyond the roster.
                saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
                people.add(DutyException, leader, starts_at=_at(saturday, time(9), tz), ends_at=_at(saturday, time(12), tz),
                           on_duty=True, reason="周末志愿活动值守")
        # Nights rotate over the weekend workers of the community's grids: someone is always on duty.
        for weekday in range(7):
            worker = night_workers[weekday % len(night_workers)]
            people.add(DutyWindow, worker, weekday=weekday, starts=EVENING[0], ends=EVENING[1])
            people.add(DutyWindow, worker, weekday=(weekday + 1) % 7, starts=EARLY_MORNING[0], ends=EARLY_MORNING[1])
        # Leave is only ever given to weekday workers, whom the grid leaders back up.
        on_leave = rng.choice(weekday_workers)
        first = today + timedelta(days=rng.randint(-3, 10))
        last = first + timedelta(days=rng.randint(0, 2))
        people.add(DutyException, on_leave, starts_at=_at(first, DAY_SHIFT[0], tz), ends_at=_at(last, DAY_SHIFT[1], tz),
                   on_duty=False, reason=rng.choice(LEAVE_REASONS))
    return committee


def _grid_staff(people: _People, openid: str, role: str, grid: Grid) -> int:
    name = people.real_name()
    user = people.user(openid, name, name)
    people.add(RoleAssignment, user, role=role, scope_type="grid", scope_id=grid.id)
    for skill in people.rng.sample(SKILLS, people.rng.randint(1, 3)):
        people.add(StaffSkill, user, skill=skill)
    return user


def _windows(people: _People, user: int, weekdays, shift: tuple[time, time]) -> None:
    for weekday in weekdays:
        people.add(DutyWindow, user, weekday=weekday, starts=shift[0], ends=shift[1])


def _at(day, clock: time, tz) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)


def _add_residents(people: _People, hierarchy: _Hierarchy, committee: dict[int, int], now: datetime) -> None:
    """Households spread round-robin over the grids, each with verified members; a few invites per community."""
    rng = people.rng
    grids = [grid for community in hierarchy.communities for grid in hierarchy.grids_of[community.id]]
    community_of = {c.id: c for c in hierarchy.communities}
    invites_left = {c.id: INVITES_PER_COMMUNITY for c in hierarchy.communities}
    addresses: set[tuple[int, str]] = set()
    sizes, weights = zip(*HOUSEHOLD_SIZES)
    resident = 0
    while resident < RESIDENTS:
        grid = grids[len(people.households) % len(grids)]
        community = community_of[grid.community_id]
        address, building = _address(rng, community, grid, addresses)
        size = min(rng.choices(sizes, weights)[0], RESIDENTS - resident)
        positions = []
        for _ in range(size):
            resident += 1
            joined = now - timedelta(days=rng.randint(3, 700), minutes=rng.randint(0, 1439))
            positions.append((people.user(f"demo-resident-{resident}", people.nickname()), joined))
        invite = None
        if invites_left[community.id]:
            invites_left[community.id] -= 1
            invite = {"code": people.invite_code(), "created_by_id": committee[community.id],
                      "expires_at": now + timedelta(days=365), "max_uses": 6, "uses": 0}
        people.households.append(({"grid_id": grid.id, "address": address, "building": building}, positions, invite))


def _address(rng: random.Random, community: Community, grid: Grid, taken: set) -> tuple[str, str]:
    """A free (address, building) in the grid: a flat in a compound, or a house in a village group."""
    number = int(grid.code[-2:])
    while True:
        if community.name.endswith("村"):
            group, house = number * 3 + rng.randint(0, 2), rng.randint(1, 80)
            address, building = f"{community.name} {group} 组 {house} 号", f"{group} 组"
        else:
            compound = _compound(community, grid)
            block, floor, flat = rng.randint(1, 30), rng.randint(1, 18), rng.randint(1, 4)
            address, building = f"{compound} {block} 幢 {floor}{flat:02d} 室", f"{block} 幢"
        if (grid.id, address) not in taken:
            taken.add((grid.id, address))
            return address, building


def _compound(community: Community, grid: Grid) -> str:
    """The residential compound (小区) of a grid in a 社区, e.g. 龙桥花园."""
    number = int(grid.code[-2:])
    return community.name.removesuffix("社区") + COMPOUND_SUFFIXES[(number - 1) % len(COMPOUND_SUFFIXES)]


# --- sample cases -------------------------------------------------------------------------------

# The community the documented logins (dev:demo-resident-1, dev:demo-committee-320506-001-001, …) belong to.
SAMPLE_COMMUNITY = f"{DISTRICT_CODE}-001-001"


@dataclass(frozen=True)
class SampleCase:
    """One sample case of the sample community, and what has happened to it since it was reported.

    The reporter is the first member of household `household` (0 = the grid's first) of grid `grid`
    (1 = the community's first). With a `place`, it is reported at that spot of the grid's compound
    (with a point in the grid); without, from the reporter's home. `steps` are (hours after
    submission, action, details); deadlines that passed meanwhile are acted on as the sweep would
    have. `routed=False` leaves the routing to the running app, as for any new report.
    """

    grid: int
    household: int
    category: str
    description: str
    hours_ago: float
    steps: tuple[tuple[float, str, dict], ...] = ()
    place: str = ""
    anonymous: bool = False
    routed: bool = True


SAMPLE_CASES = (
    SampleCase(1, 0, "noise", "楼上住户每天晚上十一点以后还在拖动家具、敲敲打打，影响休息", 1.5, (
        (0.2, "accept", {}), (0.5, "start", {}), (1.0, "follow", {"grid": 1, "household": 1}),
    ), place="5 幢 1 单元"),
    SampleCase(1, 0, "residence_certificate", "孩子明年上小学，需要开具居住证明用于入学报名", 0.1),
    SampleCase(1, 0, "home_visit", "家里老人独居，最近腿脚不便、胃口也不好，想请网格员上门看看", 30, (
        (0.5, "accept", {}), (2, "start", {}),
        (5, "resolve", {"note": "已上门探访，老人身体状况尚可；已联系其子女每周回来探望，并登记为重点关爱对象"}),
    )),
    SampleCase(1, 0, "plumbing_repair", "厨房水槽下水管接口漏水，地面一直是湿的", 6 * 24, (
        (1, "accept", {}), (20, "start", {}), (26, "resolve", {"note": "已更换下水管接口和密封圈，试水无渗漏"}),
        (30, "confirm", {}), (30.2, "rate", {"score": 5, "comment": "师傅很专业，半天就修好了，谢谢！"}),
    )),
    SampleCase(2, 0, "pets", "邻居家的狗每天清晨五点多在楼道里叫，一叫就是一个多小时", 60, (
        (0.3, "accept", {}),
    ), place="12 幢 2 单元楼道"),
    SampleCase(3, 0, "safety_hazard", "小区东门消防栓被杂物遮挡，旁边还堆放了大量纸箱，存在火灾隐患", 16, (
        (0.2, "accept", {}), (1, "start", {}),
    ), place="东门"),
    SampleCase(2, 1, "neighbour_dispute", "与隔壁住户因空调外机安装位置产生纠纷，噪声和热风直对我家卧室，希望社区调解", 40, (
        (0.8, "accept", {}), (3, "start", {}), (30, "escalate", {"note": "双方矛盾有激化迹象，请网格长尽快组织调解"}),
    )),
    SampleCase(4, 0, "errands", "腿脚不便，想请人帮忙代购一周的米、面、油和常用药", 3, ((0.5, "accept", {}),)),
    SampleCase(5, 0, "social_security", "咨询灵活就业人员医保怎么缴费、每年缴多少", 26, (
        (2, "accept", {}), (3, "start", {}), (4, "resolve", {"note": "已电话告知缴费标准和线上缴费流程，并发送了办事指南"}),
        (8, "confirm", {}),
    )),
    SampleCase(3, 1, "electrical_repair", "客厅插座一用电器就跳闸，请电工上门检查", 9 * 24, (
        (1, "accept", {}), (5, "start", {}), (8, "resolve", {"note": "插座内部线路老化短路，已更换插座并重新接线"}),
    )),
    SampleCase(4, 1, "hardship_certificate", "申请困难情况证明，用于办理医疗救助", 4, (
        (0.5, "cancel", {"note": "已在政务服务网上办好了，不需要了"}),
    )),
    SampleCase(1, 2, "noise", "小区北门外夜间烧烤摊油烟大、声音吵，经常营业到凌晨两点", 5, (
        (0.3, "return", {"reason": "needs_other_skill", "note": "涉及占道经营，需城管执法协同处理"}), (0.6, "accept", {}),
    ), place="北门外", anonymous=True),
    SampleCase(5, 1, "policy_question", "想了解老旧小区加装电梯的补贴政策和申请流程", 0.02, routed=False),
)


def sample_cases_complete() -> bool:
    """Whether every sample case is there (each is known by its description)."""
    found = db.session.scalar(sa.select(sa.func.count(sa.distinct(Case.description))).where(
        Case.description.in_([sample.description for sample in SAMPLE_CASES])))
    return found == len(SAMPLE_CASES)


def seed_sample_cases(now: datetime) -> int:
    """Play every missing sample case through the case service, up to `now`; returns how many were added.

    Meant to run before any RQ worker does (as `python -m backend serve` and `flask demo seed` do): a
    worker that ran a sample's queued routing job first would route it at today's time instead.
    """
    ensure_default_categories()
    db.session.commit()
    community = db.session.scalar(sa.select(Community).where(Community.code == SAMPLE_COMMUNITY))
    grids = db.session.scalars(sa.select(Grid).where(Grid.community_id == community.id).order_by(Grid.code)).all()
    committee_id = db.session.scalar(sa.select(User.id).where(User.openid == f"demo-committee-{SAMPLE_COMMUNITY}"))
    added = 0
    for sample in SAMPLE_CASES:
        reporter_id = _household_member(grids[sample.grid - 1], sample.household)
        if db.session.scalar(sa.select(Case.id).where(Case.reporter_id == reporter_id,
                                                      Case.description == sample.description)) is None:
            _play(sample, reporter_id, community, grids, committee_id, now)
            added += 1
    return added


def busiest_staff() -> str | None:
    """The openid of the staff member holding the most open cases, to try the worker pages with."""
    return db.session.scalar(
        sa.select(User.openid).join(Case, Case.assignee_id == User.id)
        .where(Case.status.in_(("assigned", "accepted", "in_progress")))
        .group_by(User.id, User.openid).order_by(sa.func.count(Case.id).desc(), User.id).limit(1))


def _household_member(grid: Grid, index: int) -> int:
    """The first member of the grid's `index`-th household."""
    first_members = (sa.select(sa.func.min(HouseholdMember.user_id))
                     .join(Household, Household.id == HouseholdMember.household_id)
                     .where(Household.grid_id == grid.id)
                     .group_by(Household.id).order_by(Household.id))
    return db.session.scalars(first_members.offset(index).limit(1)).one()


def _play(sample: SampleCase, reporter_id: int, community: Community, grids: list[Grid], committee_id: int,
          now: datetime) -> None:
    """Report the sample case as many hours ago as it says, then take its steps at their moments."""
    submitted_at = now - timedelta(hours=sample.hours_ago)
    category = selectable_category(sample.category)
    grid = grids[sample.grid - 1]
    data = {"kind": category.kind, "category_code": category.code, "description": sample.description,
            "anonymous": sample.anonymous, "photo_ids": [], "address": "", "lat": None, "lng": None}
    if sample.place:
        point = shapely.from_geojson(grid.boundary).representative_point()
        data.update(lat=round(point.y, 6), lng=round(point.x, 6),
                    address=f"{_compound(community, grid)} {sample.place}")
    case_id = cases.submit_case(load_actor(reporter_id), data, now=submitted_at).id
    if not sample.routed:
        return
    _route(case_id, submitted_at)
    for hours, action, details in sample.steps:
        at = submitted_at + timedelta(hours=hours)
        _catch_up(case_id, at)
        _step(case_id, action, details, at, reporter_id, grids, committee_id)
    _catch_up(case_id, now)


def _step(case_id: int, action: str, details: dict, at: datetime, reporter_id: int, grids: list[Grid],
          committee_id: int) -> None:
    """One transition of a sample case, by whoever takes it in real use."""
    case = db.session.get(Case, case_id)
    reporter = load_actor(reporter_id)
    assignee = load_actor(case.assignee_id) if case.assignee_id else None
    if action == "accept":
        cases.accept_case(assignee, case_id, now=at)
    elif action == "start":
        cases.start_case(assignee, case_id, now=at)
    elif action == "resolve":
        cases.resolve_case(assignee, case_id, details["note"], [], now=at)
    elif action == "return":
        cases.return_case(assignee, case_id, details["reason"], details["note"], now=at)
        _route(case_id, at)
    elif action == "confirm":
        cases.confirm_case(reporter, case_id, now=at)
    elif action == "rate":
        cases.rate_case(reporter, case_id, details["score"], details["comment"], now=at)
    elif action == "cancel":
        cases.cancel_case(reporter, case_id, details["note"], now=at)
    elif action == "escalate":
        cases.escalate_case(load_actor(committee_id), case_id, details["note"], now=at)
    elif action == "follow":
        follower = _household_member(grids[details["grid"] - 1], details["household"])
        cases.follow_case(load_actor(follower), case_id)
    else:
        raise ValueError(f"unknown sample step {action!r}")


def _route(case_id: int, at: datetime) -> None:
    """Route at the given moment, as the routing job would have (its own later run then finds it assigned)."""
    cases.route(case_id, now=at)
    db.session.commit()


def _catch_up(case_id: int, until: datetime) -> None:
    """Do what the deadline sweep would have done for the case up to `until`: escalate overdue, close unconfirmed."""
    while True:
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        if case.status in OPEN_STATUSES and case.next_escalation_at and case.next_escalation_at <= until:
            cases.escalate_overdue(case_id, case.escalation_level, now=case.next_escalation_at)
        elif case.status == "resolved" and case.confirm_due_at <= until:
            cases.auto_close(case_id, now=case.confirm_due_at)
        else:
            return
        db.session.commit()
