"""The in-process grid index: point → grid through a uniform bucket grid over the polygons' bboxes.

Built once per process from the grids table and rebuilt when the `geo_versions` counter moves
(any process that changes boundaries bumps it). A point on a shared border is covered by several
grids; it resolves to the one with the smallest code, so every process and database agree.

A lookup is one bucket computation in Python and one vectorised `shapely.intersects_xy` over that
bucket's few prepared polygons: no shapely Point and no tree walk per call, which is what keeps a
single core above 50,000 lookups/s (see `bench/README.md`).
"""
from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape


@dataclass(frozen=True)
class GridShape:
    """What the index keeps per grid."""

    grid_id: int
    code: str
    geometry: object


class GridIndex:
    """An immutable index over grid polygons, answering `locate(lng, lat)`."""

    def __init__(self, shapes: list[GridShape], version: int = 0):
        # Sorting by code makes "lowest index among the hits" mean "smallest code". An empty
        # boundary covers nothing and has no extent to put in a bucket.
        self.shapes = sorted((s for s in shapes if not shapely.is_empty(s.geometry)), key=lambda s: s.code)
        self.version = version
        geoms = np.array([s.geometry for s in self.shapes], dtype=object)
        shapely.prepare(geoms)
        self._buckets = BucketGrid(geoms) if len(geoms) else None

    def __len__(self) -> int:
        return len(self.shapes)

    def locate(self, lng: float, lat: float) -> GridShape | None:
        """The grid covering the point (border points: the smallest code), or None."""
        if self._buckets is None:
            return None
        candidates = self._buckets.candidates(lng, lat)
        if candidates is None:
            return None
        ids, geoms = candidates
        hits = shapely.intersects_xy(geoms, lng, lat)
        first = int(hits.argmax())  # ids ascend, so the first hit is the smallest code
        return self.shapes[ids[first]] if hits[first] else None

    @classmethod
    def from_rows(cls, rows, version: int = 0) -> "GridIndex":
        """Build from (id, code, geojson-text) rows."""
        return cls([GridShape(grid_id, code, shape(json.loads(boundary))) for grid_id, code, boundary in rows],
                   version)


class BucketGrid:
    """A uniform grid of buckets over the polygons' extent; each bucket lists the polygons whose bbox touches it.

    Buckets are about the size of the median polygon bbox, so a bucket holds a handful of
    candidates. A point and a bbox corner go through the same float arithmetic, so a point inside
    a polygon's bbox always lands in one of that polygon's buckets (ties on bucket edges included).
    """

    MAX_BUCKETS_PER_POLYGON = 4

    def __init__(self, geoms: np.ndarray):
        bounds = shapely.bounds(geoms)
        self.minx, self.miny = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        self.maxx, self.maxy = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        width, height = self.maxx - self.minx, self.maxy - self.miny
        cell_w = float(np.median(bounds[:, 2] - bounds[:, 0])) or width or 1.0
        cell_h = float(np.median(bounds[:, 3] - bounds[:, 1])) or height or 1.0
        self.nx, self.ny = max(1, math.ceil(width / cell_w)), max(1, math.ceil(height / cell_h))
        # Scattered tiny polygons would ask for a huge sparse grid; cap its size.
        limit = self.MAX_BUCKETS_PER_POLYGON * len(geoms) + 16
        if self.nx * self.ny > limit:
            shrink = math.sqrt(self.nx * self.ny / limit)
            self.nx, self.ny = max(1, int(self.nx / shrink)), max(1, int(self.ny / shrink))
        self.scale_x = self.nx / width if width > 0 else 0.0
        self.scale_y = self.ny / height if height > 0 else 0.0

        ix0, ix1 = self._columns(bounds[:, 0]), self._columns(bounds[:, 2])
        iy0, iy1 = self._rows(bounds[:, 1]), self._rows(bounds[:, 3])
        members: list[list[int]] = [[] for _ in range(self.nx * self.ny)]
        for i in range(len(geoms)):
            for iy in range(iy0[i], iy1[i] + 1):
                row = iy * self.nx
                for ix in range(ix0[i], ix1[i] + 1):
                    members[row + ix].append(i)
        self._buckets = [(np.array(ids, dtype=np.intp), geoms[ids]) if ids else None for ids in members]

    def _columns(self, xs: np.ndarray) -> list[int]:
        return np.minimum(np.floor((xs - self.minx) * self.scale_x), self.nx - 1).astype(int).tolist()

    def _rows(self, ys: np.ndarray) -> list[int]:
        return np.minimum(np.floor((ys - self.miny) * self.scale_y), self.ny - 1).astype(int).tolist()

    def candidates(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(polygon indices ascending, their geometries) that may cover the point, or None."""
        if not (self.minx <= x <= self.maxx and self.miny <= y <= self.maxy):  # also rejects NaN
            return None
        ix = min(int((x - self.minx) * self.scale_x), self.nx - 1)
        iy = min(int((y - self.miny) * self.scale_y), self.ny - 1)
        return self._buckets[iy * self.nx + ix]


class IndexCache:
    """Holds the process's index and rebuilds it when the stored version changes.

    The version is read at most every `check_every` seconds, so a lookup costs no query most
    of the time; a change made in this process invalidates immediately.
    """

    def __init__(self, check_every: float = 2.0):
        self.check_every = check_every
        self._index: GridIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self, load_version, load_rows) -> GridIndex:
        now = time.monotonic()
        index = self._index
        if index is not None and now - self._checked_at < self.check_every:
            return index
        with self._lock:
            version = load_version()
            self._checked_at = time.monotonic()
            if self._index is None or self._index.version != version:
                self._index = GridIndex.from_rows(load_rows(), version)
            return self._index

    def invalidate(self) -> None:
        with self._lock:
            self._index = None
