"""Grid import from a GeoJSON FeatureCollection: validate the whole file, then upsert by code.

Nothing is written unless every feature passes: one bad polygon in a file of three hundred must not
leave the district half-updated. Codes are the stable identity (`320506-003-012-07` is grid 07 of
community `320506-003-012` of street `320506-003` of district `320506`), so importing the same or a
corrected file again updates rows in place and never changes their ids.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import Polygon
from shapely.strtree import STRtree

from backend.core.errors import Unprocessable
from backend.extensions import db
from backend.grids.models import Community, District, Grid, Street
from backend.grids.service import bump_geo_version

GRID_CODE = re.compile(r"^\d{6}-\d{3}-\d{3}-\d{2}$")
METRES_PER_DEGREE = 111_320.0  # along a meridian, and along the equator; a parallel shrinks by cos(lat)

# GEOS validity reasons, in words a grid administrator reads.
VALIDITY_REASONS = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "边界环自相交",
    "Too few points in geometry component": "边界点数过少",
    "Too few distinct points in geometry component": "边界点数过少",
    "Hole lies outside shell": "内环位于外环之外",
    "Holes are nested": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "存在重复的环",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "边界环未闭合",
}


class GridFileInvalid(Unprocessable):
    """The grid file has problems; `problems` holds one readable line per problem."""

    reason, message = "invalid_grid_file", "网格文件有误，未导入任何网格"

    def __init__(self, problems: list[str]):
        super().__init__(errors={"features": problems})
        self.problems = problems


@dataclass
class GridFeature:
    """One validated feature of the file."""

    code: str
    name: str
    community_name: str
    street_name: str
    district_name: str | None
    geometry: Polygon
    boundary: str

    @property
    def community_code(self) -> str:
        return self.code[:14]

    @property
    def street_code(self) -> str:
        return self.code[:10]

    @property
    def district_code(self) -> str:
        return self.code[:6]


@dataclass
class ImportReport:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    parents_created: dict[str, int] = field(default_factory=lambda: {"district": 0, "street": 0, "community": 0})
    parents_updated: int = 0

    def summary(self) -> str:
        p = self.parents_created
        return (f"导入完成：新建网格 {self.created} 个，更新 {self.updated} 个，未变 {self.unchanged} 个；"
                f"新建区 {p['district']} 个、街道 {p['street']} 个、社区 {p['community']} 个，"
                f"更新上级 {self.parents_updated} 个")


def import_grids(feature_collection: dict, overlap_tolerance_m2: float = 1.0, *, commit: bool = True) -> ImportReport:
    """Validate a FeatureCollection of grid polygons and upsert it by code; raise `GridFileInvalid` on any problem.

    With `commit=False` the changes are only flushed, so a caller (the demo seed) can make them part
    of a larger transaction.
    """
    features = validate_grid_file(feature_collection, overlap_tolerance_m2)
    report = _upsert(features)
    if report.created or report.updated:
        bump_geo_version()
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return report


# --- validation ---------------------------------------------------------------------------------

def validate_grid_file(feature_collection: dict, overlap_tolerance_m2: float = 1.0) -> list[GridFeature]:
    """Parse and check every feature; raise `GridFileInvalid` listing all problems found."""
    if (not isinstance(feature_collection, dict) or feature_collection.get("type") != "FeatureCollection"
            or not isinstance(feature_collection.get("features"), list)):
        raise GridFileInvalid(["文件不是 GeoJSON FeatureCollection（需要 type 为 FeatureCollection 且含 features 数组）"])
    raw_features = feature_collection["features"]
    if not raw_features:
        raise GridFileInvalid(["文件中没有任何网格要素"])

    problems: list[str] = []
    features: list[GridFeature] = []
    first_position: dict[str, int] = {}
    for position, raw in enumerate(raw_features, start=1):
        feature, feature_problems = _parse_feature(position, raw)
        problems.extend(feature_problems)
        if feature is None:
            continue
        if feature.code in first_position:
            problems.append(f"{feature.code}: 编码重复（第 {first_position[feature.code]} 个与第 {position} 个要素）")
            continue
        first_position[feature.code] = position
        features.append(feature)

    codes_in_file = {_raw_code(raw) for raw in raw_features} - {None}
    problems.extend(_parent_problems(features))
    problems.extend(_overlap_problems(features, codes_in_file, overlap_tolerance_m2))
    if problems:
        raise GridFileInvalid(problems)
    return features


def _parse_feature(position: int, raw) -> tuple[GridFeature | None, list[str]]:
    """One feature, or None with the reasons it cannot be imported."""
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        return None, [f"第 {position} 个要素: 不是 GeoJSON Feature"]
    properties = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    code = _raw_code(raw)
    label = code or f"第 {position} 个要素"
    problems = []
    if code is None or not GRID_CODE.match(code):
        problems.append(f"{label}: 网格编码缺失或格式有误（应如 320506-003-012-07）")
    for key, what in (("name", "网格名称"), ("community_name", "社区名称"), ("street_name", "街道名称")):
        value = properties.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{label}: 缺少{what}（{key}）")
    district_name = properties.get("district_name")
    if district_name is not None and (not isinstance(district_name, str) or not district_name.strip()):
        problems.append(f"{label}: 区名称（district_name）应为非空文字")

    geometry, geometry_problem = _parse_polygon(raw.get("geometry"))
    if geometry_problem:
        problems.append(f"{label}: {geometry_problem}")
    if problems:
        return None, problems
    return GridFeature(code=code, name=properties["name"].strip(),
                       community_name=properties["community_name"].strip(),
                       street_name=properties["street_name"].strip(),
                       district_name=district_name.strip() if district_name else None,
                       geometry=geometry, boundary=_boundary_text(raw["geometry"]["coordinates"])), []


def _raw_code(raw) -> str | None:
    """The `code` property of a raw feature when it is a non-empty string."""
    properties = raw.get("properties") if isinstance(raw, dict) else None
    code = properties.get("code") if isinstance(properties, dict) else None
    return code if isinstance(code, str) and code else None


def _parse_polygon(geometry) -> tuple[Polygon | None, str | None]:
    """A valid shapely Polygon from a GeoJSON geometry, or the reason it is not one."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind != "Polygon":
        return None, f"几何类型为 {kind or '空'}，应为 Polygon"
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        return None, "Polygon 坐标为空或格式有误"
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4 or not all(_is_position(p) for p in ring):
            return None, "Polygon 的环应为至少 4 个有效的 [经度, 纬度] 坐标"
        if ring[0][:2] != ring[-1][:2]:
            return None, "Polygon 的环未闭合（首尾坐标应相同）"
        if not all(-180 <= p[0] <= 180 and -90 <= p[1] <= 90 for p in ring):
            return None, "坐标超出经纬度范围（顺序应为 [经度, 纬度]）"
    polygon = Polygon([p[:2] for p in rings[0]], [[p[:2] for p in ring] for ring in rings[1:]])
    reason = shapely.is_valid_reason(polygon)
    if reason != "Valid Geometry":
        kind_of_problem, _, where = reason.partition("[")
        words = VALIDITY_REASONS.get(kind_of_problem.strip(), kind_of_problem.strip())
        return None, f"边界无效：{words}" + (f"（位置 {where.rstrip(']')}）" if where else "")
    if polygon.area <= 0:
        return None, "边界面积为零"
    return polygon, None


def _is_position(value) -> bool:
    return (isinstance(value, list) and len(value) >= 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value[:2]))


def _boundary_text(rings: list[list[list[float]]]) -> str:
    """The stored text of a Polygon boundary: compact GeoJSON, 2-D, every coordinate a float."""
    coordinates = [[[float(x), float(y)] for x, y, *_ in ring] for ring in rings]
    return json.dumps({"type": "Polygon", "coordinates": coordinates}, separators=(",", ":"))


def _parent_problems(features: list[GridFeature]) -> list[str]:
    """Parents named differently by two features, or a new district without a name."""
    problems = []
    for level, code_of, name_of in (("社区", lambda f: f.community_code, lambda f: f.community_name),
                                    ("街道", lambda f: f.street_code, lambda f: f.street_name),
                                    ("区", lambda f: f.district_code, lambda f: f.district_name)):
        names: dict[str, set[str]] = {}
        for feature in features:
            if name_of(feature) is not None:
                names.setdefault(code_of(feature), set()).add(name_of(feature))
        for code, seen in sorted(names.items()):
            if len(seen) > 1:
                problems.append(f"{code}: 同一{level}在文件中名称不一致（{'、'.join(sorted(seen))}）")
    district_codes = {f.district_code for f in features}
    named = {f.district_code for f in features if f.district_name}
    existing = set(db.session.scalars(sa.select(District.code).where(District.code.in_(district_codes))))
    for code in sorted(district_codes - named - existing):
        problems.append(f"{code}: 区不存在，请在要素属性中提供 district_name")
    return problems


def _overlap_problems(features: list[GridFeature], codes_in_file: set, tolerance_m2: float) -> list[str]:
    """Pairs of grids (in the file, or file against database) overlapping by more than the tolerance.

    Database grids whose code appears in the file are left out: the file replaces them.
    """
    if not features:
        return []
    geoms = np.array([f.geometry for f in features], dtype=object)
    problems = []
    # Each intersecting pair comes back twice (a, b) and (b, a); keep one.
    left, right = _sorted_pairs(*STRtree(geoms).query(geoms, predicate="intersects"))
    keep = left < right
    for a, b, area in zip(left[keep], right[keep], _overlap_m2(geoms[left[keep]], geoms[right[keep]])):
        if area > tolerance_m2:
            problems.append(f"{features[a].code}: 与 {features[b].code} 重叠约 {area:,.1f} 平方米"
                            f"（容差 {tolerance_m2:g} 平方米）")

    others = [(code, shapely.from_geojson(boundary, on_invalid="ignore")) for code, boundary
              in db.session.execute(sa.select(Grid.code, Grid.boundary).order_by(Grid.code))
              if code not in codes_in_file]
    others = [(code, geom) for code, geom in others if geom is not None]
    if others:
        other_geoms = np.array([g for _, g in others], dtype=object)
        mine, theirs = _sorted_pairs(*STRtree(other_geoms).query(geoms, predicate="intersects"))
        for a, b, area in zip(mine, theirs, _overlap_m2(geoms[mine], other_geoms[theirs])):
            if area > tolerance_m2:
                problems.append(f"{features[a].code}: 与库中已有网格 {others[b][0]}（不在本文件中）重叠约 "
                                f"{area:,.1f} 平方米（容差 {tolerance_m2:g} 平方米）")
    return problems


def _sorted_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs in file order, so the report reads top to bottom."""
    order = np.lexsort((b, a))
    return a[order], b[order]


def _overlap_m2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Approximate overlap areas in square metres of polygon pairs given in degrees."""
    if len(a) == 0:
        return np.zeros(0)
    overlaps = shapely.intersection(a, b)
    degrees2 = shapely.area(overlaps)
    lat = np.where(degrees2 > 0, shapely.get_y(shapely.centroid(overlaps)), 0.0)
    return degrees2 * METRES_PER_DEGREE ** 2 * np.cos(np.radians(np.nan_to_num(lat)))


# --- writing ------------------------------------------------------------------------------------

def _upsert(features: list[GridFeature]) -> ImportReport:
    """Create or update districts, streets, communities and grids by code; flush only."""
    report = ImportReport()
    districts = _upsert_level(District, "district", report, {
        f.district_code: {"name": f.district_name} if f.district_name else {} for f in features})
    streets = _upsert_level(Street, "street", report, {
        f.street_code: {"name": f.street_name, "district_id": districts[f.district_code].id} for f in features})
    communities = _upsert_level(Community, "community", report, {
        f.community_code: {"name": f.community_name, "street_id": streets[f.street_code].id} for f in features})
    existing = {g.code: g for g in db.session.scalars(sa.select(Grid).where(Grid.code.in_([f.code for f in features])))}
    for f in features:
        values = {"name": f.name, "community_id": communities[f.community_code].id, "boundary": f.boundary}
        grid = existing.get(f.code)
        if grid is None:
            db.session.add(Grid(code=f.code, **values))
            report.created += 1
        elif _assign(grid, values):
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    return report


def _upsert_level(model, level: str, report: ImportReport, wanted: dict[str, dict]) -> dict:
    """Rows of one hierarchy level by code: created if missing, otherwise given columns updated."""
    rows = {row.code: row for row in db.session.scalars(sa.select(model).where(model.code.in_(list(wanted))))}
    for code, values in sorted(wanted.items()):
        if code not in rows:
            rows[code] = model(code=code, **values)
            db.session.add(rows[code])
            report.parents_created[level] += 1
        elif _assign(rows[code], values):
            report.parents_updated += 1
    db.session.flush()
    return rows


def _assign(row, values: dict) -> bool:
    """Set the columns that differ; True when any did."""
    changed = {key: value for key, value in values.items() if getattr(row, key) != value}
    for key, value in changed.items():
        setattr(row, key, value)
    return bool(changed)
