"""The in-process index on its own: tie-breaks, edges of the bucket grid, agreement with a full scan."""
import math
import random

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from backend.demo import jittered_lattice, lattice_ring
from backend.grids.index import GridIndex, GridShape


def full_scan(shapes: list[GridShape], lng: float, lat: float) -> str | None:
    covering = [s.code for s in shapes if shapely.intersects_xy(s.geometry, lng, lat)]
    return min(covering) if covering else None


def lattice_shapes(per_side: int, seed: int) -> tuple[list[GridShape], list]:
    rng = random.Random(seed)
    lattice = jittered_lattice(120.5, 31.0, 121.0, 31.5, per_side, per_side, 0.3, rng)
    shapes = [GridShape(r * per_side + c, f"320506-{rng.randrange(1000):03d}-{r:03d}-{c:02d}",
                        Polygon(lattice_ring(lattice, c, r, c + 1, r + 1)))
              for r in range(per_side) for c in range(per_side)]
    rng.shuffle(shapes)
    return shapes, [point for row in lattice for point in row]


def test_empty_index_finds_nothing():
    assert GridIndex([]).locate(120.6, 31.3) is None


def test_agrees_with_a_full_scan_on_random_points_and_shared_vertices():
    shapes, vertices = lattice_shapes(12, seed=7)
    index = GridIndex(shapes)
    rng = random.Random(8)
    points = [(rng.uniform(120.45, 121.05), rng.uniform(30.95, 31.55)) for _ in range(600)] + vertices
    for lng, lat in points:
        hit = index.locate(lng, lat)
        assert (hit.code if hit else None) == full_scan(shapes, lng, lat), (lng, lat)


def test_nan_and_infinite_coordinates_find_nothing():
    index = GridIndex([GridShape(1, "320506-001-001-01", box(120.5, 31.0, 120.75, 31.25))])
    for lng, lat in ((math.nan, 31.1), (120.6, math.nan), (math.inf, 31.1), (120.6, -math.inf)):
        assert index.locate(lng, lat) is None


def test_uneven_sizes_stay_correct():
    # One large grid beside a cluster of tiny ones stresses the bucket sizing.
    shapes = [GridShape(1, "320506-001-001-01", box(120.0, 31.0, 121.0, 32.0))]
    shapes += [GridShape(2 + i, f"320506-001-002-{i:02d}", box(121.0 + i * 1e-4, 31.0, 121.0 + (i + 1) * 1e-4, 31.0001))
               for i in range(60)]
    index = GridIndex(shapes)
    rng = random.Random(3)
    points = [(rng.uniform(119.9, 121.01), rng.uniform(30.99, 32.01)) for _ in range(500)]
    points += [(121.0 + rng.uniform(0, 0.006), rng.uniform(31.0, 31.0001)) for _ in range(500)]
    points += [(121.0, 31.0), (121.006, 31.0001), (121.0 + 30e-4, 31.00005)]
    for lng, lat in points:
        hit = index.locate(lng, lat)
        assert (hit.code if hit else None) == full_scan(shapes, lng, lat), (lng, lat)


def test_polygon_with_a_hole():
    outer = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    index = GridIndex([GridShape(1, "320506-001-001-01", outer), GridShape(2, "320506-001-001-02", box(1, 1, 3, 3))])
    assert index.locate(2, 2).grid_id == 2
    assert index.locate(0.5, 0.5).grid_id == 1
    assert index.locate(1, 2).grid_id == 1  # on the hole's edge: both cover it, the smaller code wins
    assert np.isclose(sum(s.geometry.area for s in index.shapes), 16)


def test_an_empty_boundary_is_left_out():
    index = GridIndex([GridShape(1, "320506-001-001-01", Polygon()),
                       GridShape(2, "320506-001-001-02", box(120.5, 31.0, 120.75, 31.25))])
    assert len(index) == 1 and index.locate(120.6, 31.1).grid_id == 2
