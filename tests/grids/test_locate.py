import json

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.grids.importer import import_grids
from backend.grids.models import GeoVersion, Grid
from tests.factories import login, make_geography, square
from tests.grids.geojson import block_2x2, feature_collection, rectangle, polygon_feature

ERROR_KEYS = {"code", "status", "message", "reason"}


def locate(client, headers, lat, lng):
    return client.get("/api/v1/grids/locate", query_string={"lat": repr(lat), "lng": repr(lng)}, headers=headers)


def test_point_inside_a_grid(client):
    geo = make_geography()
    headers = login(client, "resident")

    response = locate(client, headers, 31.305, 120.625)

    assert response.status_code == 200, response.json
    assert response.json["grid"] == {"id": geo.grids[2].id, "code": "320506-001-002-01", "name": "第3网格",
                                     "community_id": geo.communities[1].id}
    assert response.json["community"]["code"] == "320506-001-002"
    assert response.json["street"] == {"id": geo.streets[0].id, "code": "320506-001", "name": "长桥街道",
                                       "district_id": geo.district.id}


def test_point_on_a_shared_border_resolves_to_the_smallest_code(client):
    geo = make_geography()
    headers = login(client, "resident")
    # The exact shared longitude, read back from the stored boundary of the western grid.
    border = json.loads(geo.grids[0].boundary)["coordinates"][0][1][0]
    assert border == json.loads(geo.grids[1].boundary)["coordinates"][0][0][0]

    codes = {locate(client, headers, 31.305, border).json["grid"]["code"] for _ in range(5)}

    assert codes == {"320506-001-001-01"}  # not 320506-001-001-02 on the other side


def test_shared_corner_of_four_grids(client):
    import_grids(block_2x2())
    headers = login(client, "resident")

    corner = locate(client, headers, 31.25, 120.75)
    edge_east = locate(client, headers, 31.125, 120.75)  # between 001-01 and 002-01
    edge_north = locate(client, headers, 31.25, 120.875)  # between 002-01 and 002-02

    assert corner.json["grid"]["code"] == "320506-001-001-01"
    assert edge_east.json["grid"]["code"] == "320506-001-001-01"
    assert edge_north.json["grid"]["code"] == "320506-001-002-01"
    assert locate(client, headers, 31.3, 120.9).json["grid"]["code"] == "320506-001-002-02"


def test_outer_boundary_is_inside(client):
    import_grids(block_2x2())
    headers = login(client, "resident")
    assert locate(client, headers, 31.5, 121.0).json["grid"]["code"] == "320506-001-002-02"
    assert locate(client, headers, 31.0, 120.5).json["grid"]["code"] == "320506-001-001-01"


@pytest.mark.parametrize("lat, lng", [(31.2, 120.6), (31.305, 120.66), (0.0, 0.0), (31.5000001, 121.0)])
def test_outside_the_district(client, lat, lng):
    make_geography()
    headers = login(client, "resident")

    response = locate(client, headers, lat, lng)

    assert response.status_code == 404
    assert set(response.json) == ERROR_KEYS
    assert response.json["code"] == 404 and response.json["status"] == "Not Found"
    assert response.json["reason"] == "outside_district"
    assert response.json["message"] == "该位置不在本区网格范围内"


def test_grid_replaced_by_another_process_is_found(client):
    geo = make_geography()
    headers = login(client, "resident")
    assert locate(client, headers, 31.305, 120.605).json["grid"]["code"] == "320506-001-001-01"
    # Another process replaces the grid and bumps the version; this process reads the version only
    # every few seconds, so its index still names the deleted grid.
    db.session.execute(sa.delete(Grid).where(Grid.id == geo.grids[0].id))
    db.session.execute(sa.insert(Grid).values(community_id=geo.communities[0].id, code="320506-001-001-05",
                                              name="新网格", boundary=square(120.60, 31.30)))
    db.session.execute(sa.update(GeoVersion).values(version=GeoVersion.version + 1))
    db.session.commit()

    response = locate(client, headers, 31.305, 120.605)

    assert response.status_code == 200, response.json
    assert response.json["grid"]["code"] == "320506-001-001-05"


@pytest.mark.parametrize("query", [
    {"lng": "120.6"}, {"lat": "31.3"}, {},
    {"lat": "abc", "lng": "120.6"}, {"lat": "31.3", "lng": ""},
    {"lat": "91", "lng": "120.6"}, {"lat": "-90.5", "lng": "120.6"}, {"lat": "31.3", "lng": "180.01"},
    {"lat": "nan", "lng": "120.6"}, {"lat": "31.3", "lng": "NaN"}, {"lat": "inf", "lng": "120.6"},
])
def test_bad_coordinates_are_422(client, query):
    make_geography()
    headers = login(client, "resident")

    response = client.get("/api/v1/grids/locate", query_string=query, headers=headers)

    assert response.status_code == 422, response.json
    assert {"code", "status", "message", "reason", "errors"} == set(response.json)
    assert response.json["reason"] == "validation_error"


def test_locate_needs_a_login(client):
    make_geography()
    response = client.get("/api/v1/grids/locate?lat=31.305&lng=120.605")
    assert response.status_code == 401
    assert set(response.json) == ERROR_KEYS and response.json["reason"] == "unauthorized"


def test_index_follows_an_imported_boundary_change(client):
    west, east = "320506-001-001-01", "320506-001-001-02"
    import_grids(feature_collection(polygon_feature(west, rectangle(120.5, 31.0, 120.75, 31.25)),
                                    polygon_feature(east, rectangle(120.75, 31.0, 121.0, 31.25))))
    ids = dict(db.session.execute(sa.select(Grid.code, Grid.id)).all())
    headers = login(client, "resident")
    assert locate(client, headers, 31.1, 120.7).json["grid"]["code"] == west

    # The shared border moves west; the point now belongs to the eastern grid.
    import_grids(feature_collection(polygon_feature(west, rectangle(120.5, 31.0, 120.625, 31.25)),
                                    polygon_feature(east, rectangle(120.625, 31.0, 121.0, 31.25))))

    moved = locate(client, headers, 31.1, 120.7)
    assert moved.json["grid"] == {"id": ids[east], "code": east, "name": "第02网格",
                                  "community_id": moved.json["community"]["id"]}
    assert dict(db.session.execute(sa.select(Grid.code, Grid.id)).all()) == ids
