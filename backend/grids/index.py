"""The in-process grid index: point → grid through a shapely 2 STRtree.

Built once per process from the grids table and rebuilt when the `geo_versions` counter moves
(any process that changes boundaries bumps it). A point on a shared border is covered by several
grids; it resolves to the one with the smallest code, so every process and database agree.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree


@dataclass(frozen=True)
class GridShape:
    """What the index keeps per grid."""

    grid_id: int
    code: str
    geometry: object


class GridIndex:
    """An immutable STRtree over grid polygons, answering `locate(lng, lat)`."""

    def __init__(self, shapes: list[GridShape], version: int = 0):
        # Sorting by code makes "lowest index among the hits" mean "smallest code".
        self.shapes = sorted(shapes, key=lambda s: s.code)
        self.version = version
        self._geoms = np.array([s.geometry for s in self.shapes], dtype=object)
        for geom in self._geoms:
            shapely.prepare(geom)
        self._tree = STRtree(self._geoms) if len(self._geoms) else None

    def __len__(self) -> int:
        return len(self.shapes)

    def locate(self, lng: float, lat: float) -> GridShape | None:
        """The grid covering the point (border points: the smallest code), or None."""
        if self._tree is None:
            return None
        hits = self._tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return self.shapes[int(hits.min())]

    @classmethod
    def from_rows(cls, rows, version: int = 0) -> "GridIndex":
        """Build from (id, code, geojson-text) rows."""
        return cls([GridShape(grid_id, code, shape(json.loads(boundary))) for grid_id, code, boundary in rows],
                   version)


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
