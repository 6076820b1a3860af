"""GeoJSON builders for the grid tests: squares on dyadic coordinates, so shared borders are exact floats."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.grids.models import Community, District, Grid, Street
from backend.grids.service import geo_version

COMMUNITY_NAMES = {"320506-001-001": "龙桥社区", "320506-001-002": "新家社区", "320506-002-001": "郭巷社区"}
STREET_NAMES = {"320506-001": "长桥街道", "320506-002": "郭巷街道"}
SIZE = 0.25  # degrees; 120.5, 120.75, 31.0, 31.25 … are exact binary fractions


def polygon_feature(code: str, ring: list, name: str | None = None, **properties) -> dict:
    """A grid feature with the parent names the importer wants."""
    props = {"code": code, "name": name or f"第{code[-2:]}网格", "community_name": COMMUNITY_NAMES.get(code[:14], "测试社区"),
             "street_name": STREET_NAMES.get(code[:10], "测试街道"), "district_name": "吴中区"}
    props.update(properties)
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def rectangle(west: float, south: float, east: float, north: float) -> list:
    """A closed counter-clockwise ring."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def square_feature(code: str, west: float, south: float, size: float = SIZE, **properties) -> dict:
    return polygon_feature(code, rectangle(west, south, west + size, south + size), **properties)


def feature_collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def block_2x2() -> dict:
    """Four grids around the corner (120.75, 31.25): two communities, west (001) and east (002) columns.

    ```
    001-02 | 002-02      31.25 … 31.5
    -------+-------
    001-01 | 002-01      31.0 … 31.25
    ```
    """
    return feature_collection(
        square_feature("320506-001-001-01", 120.5, 31.0), square_feature("320506-001-001-02", 120.5, 31.25),
        square_feature("320506-001-002-01", 120.75, 31.0), square_feature("320506-001-002-02", 120.75, 31.25))


def geography_state() -> dict:
    """Row counts of the hierarchy, the grids' ids, names and boundaries, and the geo version."""
    counts = {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (District, Street, Community, Grid)}
    grids = db.session.execute(sa.select(Grid.code, Grid.id, Grid.name, Grid.boundary).order_by(Grid.code)).all()
    return {"counts": counts, "grids": [tuple(row) for row in grids], "geo_version": geo_version()}
