import json

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.grids.importer import GridFileInvalid, import_grids
from backend.grids.models import Community, District, Grid, Street
from tests.grids.geojson import (block_2x2, feature_collection, geography_state, polygon_feature, rectangle,
                                 square_feature)


def test_valid_file_creates_grids_and_parents(app):
    report = import_grids(block_2x2())

    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.parents_created == {"district": 1, "street": 1, "community": 2}
    assert db.session.scalars(sa.select(Grid.code).order_by(Grid.code)).all() == [
        "320506-001-001-01", "320506-001-001-02", "320506-001-002-01", "320506-001-002-02"]
    district = db.session.scalar(sa.select(District))
    street = db.session.scalar(sa.select(Street))
    assert (district.code, district.name) == ("320506", "吴中区")
    assert (street.code, street.name, street.district_id) == ("320506-001", "长桥街道", district.id)
    communities = db.session.execute(sa.select(Community.code, Community.name, Community.street_id)
                                     .order_by(Community.code)).all()
    assert communities == [("320506-001-001", "龙桥社区", street.id), ("320506-001-002", "新家社区", street.id)]
    grid = db.session.scalar(sa.select(Grid).where(Grid.code == "320506-001-002-01"))
    assert grid.community.code == "320506-001-002" and grid.name == "第01网格"
    assert json.loads(grid.boundary) == {"type": "Polygon", "coordinates": [rectangle(120.75, 31.0, 121.0, 31.25)]}
    assert geography_state()["geo_version"] == 1


def test_reimport_is_idempotent_and_updates_by_code(app):
    import_grids(block_2x2())
    before = geography_state()

    again = import_grids(block_2x2())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert geography_state() == before

    renamed = block_2x2()
    renamed["features"][0]["properties"]["name"] = "龙桥一网格"
    for feature in renamed["features"][:2]:
        feature["properties"]["community_name"] = "龙桥新社区"
    report = import_grids(renamed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert report.parents_updated == 1
    after = geography_state()
    assert [(code, grid_id) for code, grid_id, *_ in after["grids"]] == [
        (code, grid_id) for code, grid_id, *_ in before["grids"]]
    assert db.session.scalar(sa.select(Community.name).where(Community.code == "320506-001-001")) == "龙桥新社区"
    assert after["counts"] == before["counts"]


def without_code(feature: dict) -> dict:
    del feature["properties"]["code"]
    return feature


def bowtie(code: str) -> dict:
    return polygon_feature(code, [[120.5, 31.0], [120.75, 31.25], [120.75, 31.0], [120.5, 31.25], [120.5, 31.0]])


INVALID_FILES = {
    "self-intersecting bowtie": (
        feature_collection(square_feature("320506-001-001-01", 120.5, 31.0), bowtie("320506-001-001-02")),
        ["320506-001-001-02: 边界无效：边界自相交"]),
    "overlap beyond tolerance": (
        feature_collection(square_feature("320506-001-001-01", 120.5, 31.0),
                           square_feature("320506-001-001-02", 120.7, 31.0)),
        ["320506-001-001-01: 与 320506-001-001-02 重叠约"]),
    "duplicate code": (
        feature_collection(square_feature("320506-001-001-01", 120.5, 31.0),
                           square_feature("320506-001-001-01", 120.75, 31.0)),
        ["320506-001-001-01: 编码重复（第 1 个与第 2 个要素）"]),
    "malformed and missing codes": (
        feature_collection(square_feature("320506-1-1-1", 120.5, 31.0),
                           without_code(square_feature("320506-001-001-02", 120.75, 31.0))),
        ["320506-1-1-1: 网格编码缺失或格式有误", "第 2 个要素: 网格编码缺失或格式有误"]),
    "not a polygon": (
        feature_collection(
            square_feature("320506-001-001-01", 120.5, 31.0),
            {"type": "Feature", "properties": {"code": "320506-001-001-02", "name": "点", "community_name": "龙桥社区",
                                               "street_name": "长桥街道"},
             "geometry": {"type": "Point", "coordinates": [120.8, 31.1]}},
            {"type": "Feature", "properties": {"code": "320506-001-001-03", "name": "多", "community_name": "龙桥社区",
                                               "street_name": "长桥街道"},
             "geometry": {"type": "MultiPolygon", "coordinates": [[rectangle(121, 31, 121.25, 31.25)]]}}),
        ["320506-001-001-02: 几何类型为 Point，应为 Polygon", "320506-001-001-03: 几何类型为 MultiPolygon，应为 Polygon"]),
    "unclosed ring and swapped coordinates": (
        feature_collection(polygon_feature("320506-001-001-01", rectangle(120.5, 31.0, 120.75, 31.25)[:-1]),
                           polygon_feature("320506-001-001-02", [[y, x] for x, y in rectangle(120.75, 31.0, 121.0, 31.25)])),
        ["320506-001-001-01: Polygon 的环未闭合", "320506-001-001-02: 坐标超出经纬度范围"]),
    "missing parent names": (
        feature_collection(square_feature("320506-001-001-01", 120.5, 31.0, community_name="", street_name=None)),
        ["320506-001-001-01: 缺少社区名称（community_name）", "320506-001-001-01: 缺少街道名称（street_name）"]),
    "not a feature collection": (
        {"type": "Feature", "geometry": None, "properties": {}}, ["文件不是 GeoJSON FeatureCollection"]),
}


@pytest.mark.parametrize("name", INVALID_FILES)
def test_invalid_file_reports_problems_and_writes_nothing(app, name):
    import_grids(feature_collection(square_feature("320506-002-001-01", 122.0, 31.0)))
    before = geography_state()
    feature_collection_, expected = INVALID_FILES[name]

    with pytest.raises(GridFileInvalid) as raised:
        import_grids(feature_collection_)

    problems = raised.value.problems
    assert len(problems) == len(expected), problems
    for line, start in zip(problems, expected):
        assert line.startswith(start), problems
    db.session.rollback()
    assert geography_state() == before


def test_problems_are_all_reported_at_once(app):
    fc = feature_collection(bowtie("320506-001-001-01"), square_feature("bad", 120.75, 31.0),
                            square_feature("320506-001-001-03", 121.0, 31.0),
                            square_feature("320506-001-001-04", 121.1, 31.0))
    with pytest.raises(GridFileInvalid) as raised:
        import_grids(fc)
    assert [line.split(":")[0] for line in raised.value.problems] == [
        "320506-001-001-01", "bad", "320506-001-001-03"]


def test_overlap_within_tolerance_is_accepted(app):
    # A sliver 2e-9° wide and 0.25° tall at latitude 31.1° is about 5.3 m².
    sliver = feature_collection(square_feature("320506-001-001-01", 120.5, 31.0),
                                square_feature("320506-001-001-02", 120.75 - 2e-9, 31.0))
    with pytest.raises(GridFileInvalid) as raised:
        import_grids(sliver)
    assert "重叠约 5.3 平方米（容差 1 平方米）" in raised.value.problems[0]

    assert import_grids(sliver, overlap_tolerance_m2=10).created == 2


def test_overlap_with_a_database_grid_not_in_the_file(app):
    import_grids(feature_collection(square_feature("320506-001-001-01", 120.5, 31.0)))
    before = geography_state()

    with pytest.raises(GridFileInvalid) as raised:
        import_grids(feature_collection(square_feature("320506-001-001-02", 120.6, 31.1)))

    assert raised.value.problems == [
        "320506-001-001-02: 与库中已有网格 320506-001-001-01（不在本文件中）重叠约 238,558,403.8 平方米（容差 1 平方米）"]
    db.session.rollback()
    assert geography_state() == before
    # The same grid moved in the file is no conflict: the file's version replaces the stored one.
    moved = import_grids(feature_collection(square_feature("320506-001-001-01", 120.6, 31.1),
                                            square_feature("320506-001-001-02", 120.85, 31.1)))
    assert (moved.created, moved.updated) == (1, 1)


def test_parent_named_differently_by_two_features(app):
    fc = block_2x2()
    fc["features"][1]["properties"]["community_name"] = "龙桥东社区"
    with pytest.raises(GridFileInvalid) as raised:
        import_grids(fc)
    assert raised.value.problems == ["320506-001-001: 同一社区在文件中名称不一致（龙桥东社区、龙桥社区）"]


def test_new_district_needs_a_name(app):
    with pytest.raises(GridFileInvalid) as raised:
        import_grids(feature_collection(square_feature("320507-001-001-01", 120.5, 31.0, district_name=None)))
    assert raised.value.problems == ["320507: 区不存在，请在要素属性中提供 district_name"]


def test_cli_imports_and_reports(app, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "grids.geojson"
    good.write_text(json.dumps(block_2x2(), ensure_ascii=False), encoding="utf-8")

    result = runner.invoke(args=["grids", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "新建网格 4 个，更新 0 个，未变 0 个" in result.output
    assert "新建区 1 个、街道 1 个、社区 2 个" in result.output

    result = runner.invoke(args=["grids", "import", str(good)])
    assert result.exit_code == 0 and "新建网格 0 个，更新 0 个，未变 4 个" in result.output

    db.session.rollback()
    before = geography_state()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(feature_collection(square_feature("320506-001-001-03", 120.6, 31.1))), encoding="utf-8")
    result = runner.invoke(args=["grids", "import", "--overlap-tolerance", "0.5", str(bad)])
    assert result.exit_code == 1
    assert "网格文件有误，未导入任何网格，共 4 个问题" in result.output
    assert "320506-001-001-03: 与库中已有网格 320506-001-001-01（不在本文件中）重叠约" in result.output
    assert "（容差 0.5 平方米）" in result.output

    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["grids", "import", str(broken)])
    assert result.exit_code == 1 and "无法读取 GeoJSON 文件" in result.output
    db.session.rollback()
    assert geography_state() == before
