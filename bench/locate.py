"""Benchmark point → grid lookups: the app's `GridIndex.locate` beside a brute-force scan.

Run from the repository root: `.venv/bin/python -m bench.locate` (see bench/README.md).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon

from backend.demo import jittered_lattice, lattice_ring
from backend.grids.index import GridIndex, GridShape

RESULTS = Path(__file__).resolve().parent / "results" / "locate.json"
GOAL = 50_000  # lookups per second on one core
# A district-sized rectangle around 吴中区 (lng, lat).
WEST, SOUTH, EAST, NORTH = 120.48, 31.19, 120.78, 31.35


def build_grids(per_side: int, jitter: float, rng: random.Random) -> list[GridShape]:
    """per_side² adjoining polygons over the rectangle, with jittered shared vertices."""
    lattice = jittered_lattice(WEST, SOUTH, EAST, NORTH, per_side, per_side, jitter, rng)
    shapes = []
    for r in range(per_side):
        for c in range(per_side):
            ring = lattice_ring(lattice, c, r, c + 1, r + 1)
            shapes.append(GridShape(len(shapes) + 1, f"320506-{r:03d}-{c:03d}-01", Polygon(ring)))
    rng.shuffle(shapes)  # the index must not rely on the input order
    return shapes


def random_points(n: int, rng: random.Random, margin: float = 0.02) -> list[tuple[float, float]]:
    """Uniform points over the rectangle grown by `margin` on each side, so a few fall outside."""
    dx, dy = (EAST - WEST) * margin, (NORTH - SOUTH) * margin
    return [(rng.uniform(WEST - dx, EAST + dx), rng.uniform(SOUTH - dy, NORTH + dy)) for _ in range(n)]


class BruteForce:
    """Every prepared polygon in code order; the first that covers the point wins, as in the index."""

    def __init__(self, shapes: list[GridShape]):
        self.shapes = sorted(shapes, key=lambda s: s.code)
        self.geoms = np.array([s.geometry for s in self.shapes], dtype=object)
        shapely.prepare(self.geoms)
        self.geom_list = list(self.geoms)

    def locate_loop(self, lng: float, lat: float) -> GridShape | None:
        """A Python loop over the polygons with `intersects_xy`."""
        for i, geom in enumerate(self.geom_list):
            if shapely.intersects_xy(geom, lng, lat):
                return self.shapes[i]
        return None

    def locate_vectorised(self, lng: float, lat: float) -> GridShape | None:
        """One `intersects_xy` call over all polygons at once."""
        hits = np.flatnonzero(shapely.intersects_xy(self.geoms, lng, lat))
        return self.shapes[hits[0]] if len(hits) else None


def time_lookups(locate, points, repeat: int) -> tuple[float, list]:
    """Best wall time of `repeat` passes over the points, and the answers of the last pass."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        answers = [locate(x, y) for x, y in points]
        best = min(best, time.perf_counter() - started)
    return best, answers


def pin_to_one_core() -> str:
    """Run on a single CPU when the OS allows it, so the numbers are per core."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def code_of(shape: GridShape | None) -> str | None:
    return shape.code if shape else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.locate", description=__doc__.splitlines()[0])
    parser.add_argument("--per-side", type=int, default=100, help="grids per side (default 100 → 10,000 grids)")
    parser.add_argument("--points", type=int, default=200_000, help="points for the indexed lookups")
    parser.add_argument("--brute-points", type=int, default=200, help="points for the brute-force Python loop")
    parser.add_argument("--check-points", type=int, default=2_000, help="random points in the agreement check")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the points; the best is reported")
    parser.add_argument("--jitter", type=float, default=0.3, help="vertex jitter, as a fraction of a cell")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    pinning = pin_to_one_core()
    rng = random.Random(args.seed)
    shapes = build_grids(args.per_side, args.jitter, rng)
    started = time.perf_counter()
    index = GridIndex(shapes)
    build_seconds = time.perf_counter() - started
    brute = BruteForce(shapes)
    points = random_points(args.points, rng)

    rows = []
    seconds, indexed = time_lookups(index.locate, points, args.repeat)
    rows.append(("GridIndex.locate", len(points), seconds))
    brute_points = points[:args.brute_points]
    seconds, looped = time_lookups(brute.locate_loop, brute_points, 1)
    rows.append(("brute force, Python loop", len(brute_points), seconds))
    vector_points = points[:args.check_points]
    seconds, vectorised = time_lookups(brute.locate_vectorised, vector_points, 1)
    rows.append(("brute force, one vectorised call", len(vector_points), seconds))

    # Agreement: the timed answers, then shared lattice vertices, where 2–4 grids tie on the border.
    vertices = [(x, y) for shape in rng.sample(shapes, min(500, len(shapes)))
                for x, y in shape.geometry.exterior.coords[:1]]
    disagreements = sum(code_of(a) != code_of(b) for a, b in zip(indexed, looped))
    disagreements += sum(code_of(a) != code_of(b) for a, b in zip(indexed, vectorised))
    disagreements += sum(code_of(index.locate(x, y)) != code_of(brute.locate_vectorised(x, y)) for x, y in vertices)
    checked = len(looped) + len(vectorised) + len(vertices)
    outside = sum(answer is None for answer in indexed)

    result = {
        "benchmark": "locate",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "shapely": shapely.__version__,
                    "geos": ".".join(map(str, shapely.geos_version)), "numpy": np.__version__,
                    "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "pinning": pinning},
        "parameters": vars(args),
        "grids": len(shapes),
        "index_build_seconds": round(build_seconds, 4),
        "methods": [{"method": name, "points": n, "seconds": round(s, 4), "lookups_per_second": round(n / s),
                     "microseconds_per_lookup": round(s / n * 1e6, 2)} for name, n, s in rows],
        "agreement": {"checked": checked, "disagreements": disagreements, "shared_vertices": len(vertices)},
        "outside_share": round(outside / len(indexed), 4),
        "goal_lookups_per_second": GOAL,
    }
    result["goal_met"] = result["methods"][0]["lookups_per_second"] >= GOAL and disagreements == 0
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return result


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"locate benchmark: {result['grids']:,} grids, index built in {result['index_build_seconds'] * 1000:.0f} ms; "
          f"shapely {m['shapely']} / GEOS {m['geos']}, Python {m['python']}, {m['pinning']}")
    print(f"\n{'method':<34}{'points':>10}{'seconds':>10}{'lookups/s':>12}{'µs/lookup':>11}")
    for row in result["methods"]:
        print(f"{row['method']:<34}{row['points']:>10,}{row['seconds']:>10.3f}{row['lookups_per_second']:>12,}"
              f"{row['microseconds_per_lookup']:>11.2f}")
    a = result["agreement"]
    print(f"\nagreement: {a['checked'] - a['disagreements']:,}/{a['checked']:,} answers equal "
          f"({a['shared_vertices']} of them on shared vertices); {result['outside_share']:.1%} of points outside")
    verdict = "met" if result["goal_met"] else "NOT met"
    print(f"goal ≥ {result['goal_lookups_per_second']:,} lookups/s on one core with full agreement: {verdict}")


if __name__ == "__main__":
    main()
