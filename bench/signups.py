"""Benchmark a burst of volunteer sign-ups on PostgreSQL beside a bare JSON endpoint, in the same run.

Run from the repository root: `.venv/bin/python -m bench.signups` (see bench/README.md).

It seeds a PostgreSQL database (2,000 verified volunteers, a shift with 50 places and a waitlist),
starts the real app under gunicorn, then fires bursts at it: every request of a burst is launched at
the same moment, the way 2,000 phones tap 报名 when an activity is announced. Latency is measured from
that moment to the last byte of the answer, so waiting in the server's queue counts. After each
sign-up burst it checks the outcome: 50 confirmed, the rest waitlisted 1 … N without gap or duplicate.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "signups.json"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1/linli_bench_signups"
CAPACITY = 50


# --- the database ---------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist."""
    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def app_config(url: str, secret: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "REDIS_URL": None, "WECHAT_APPID": "",
            "WECHAT_SECRET": "", "DEV_LOGIN": False, "LINLI_ENV": "development", "LOG_LEVEL": "WARNING",
            "ACCESS_TOKEN_TTL": 3600}


def seed(url: str, secret: str, volunteers: int, rounds: int) -> dict:
    """A fresh schema, a community, `volunteers` verified residents with tokens, one shift per round."""
    from backend.accounts.models import Household, HouseholdMember, User
    from backend.app import create_app
    from backend.core.auth import issue_access_token
    from backend.core.db import utcnow
    from backend.extensions import db
    from backend.grids.models import Community, District, Grid, Street
    from backend.volunteering.models import Activity, Shift

    app = create_app(app_config(url, secret))
    with app.app_context():
        db.drop_all()
        db.create_all()
        street = Street(district=District(code="320506", name="吴中区"), code="320506-001", name="长桥街道")
        community = Community(street=street, code="320506-001-001", name="长桥社区")
        grid = Grid(community=community, code="320506-001-001-01", name="第一网格",
                    boundary=json.dumps({"type": "Polygon", "coordinates": [[[120.6, 31.3], [120.61, 31.3],
                                                                             [120.61, 31.31], [120.6, 31.3]]]}))
        household = Household(grid=grid, address="长桥新村 1 幢 101")
        db.session.add_all([street, household])
        db.session.flush()
        now = utcnow()
        user_ids = db.session.execute(sa.insert(User).returning(User.id), [
            {"openid": f"bench-{n}", "nickname": f"志愿者{n}", "created_at": now, "is_active": True}
            for n in range(volunteers)]).scalars().all()
        db.session.execute(sa.insert(HouseholdMember), [
            {"household_id": household.id, "user_id": user_id, "joined_at": now, "verified_at": now}
            for user_id in user_ids])
        shift_ids = []
        for round_number in range(rounds):  # a day apart, so the same people can sign up every round
            start = now + timedelta(days=2 + round_number)
            activity = Activity(community_id=community.id, title=f"社区清洁日 {round_number + 1}", status="published",
                                published_at=now, starts_at=start, ends_at=start + timedelta(hours=2))
            shift = Shift(starts_at=start, ends_at=start + timedelta(hours=2), capacity=CAPACITY, confirmed=0,
                          waitlist_enabled=True, waitlist_seq=0, place="长桥新村广场", skills=[],
                          signup_deadline=start, cancel_cutoff=start - timedelta(hours=24))
            activity.shifts.append(shift)
            db.session.add(activity)
            db.session.flush()
            shift_ids.append(shift.id)
        db.session.commit()
        tokens = [issue_access_token(user_id, secrets.token_hex(8))[0] for user_id in user_ids]
        db.engine.dispose()
    return {"tokens": tokens, "shift_ids": shift_ids}


def outcome(url: str, secret: str, shift_id: int) -> dict:
    """What the database holds for a shift after a burst, and whether it is right."""
    from backend.app import create_app
    from backend.extensions import db
    from backend.volunteering.models import Shift, ShiftSignup

    app = create_app(app_config(url, secret))
    with app.app_context():
        rows = db.session.execute(sa.select(ShiftSignup.status, ShiftSignup.waitlist_seq)
                                  .where(ShiftSignup.shift_id == shift_id)).all()
        counter = db.session.scalar(sa.select(Shift.confirmed).where(Shift.id == shift_id))
        db.engine.dispose()
    confirmed = sum(status == "confirmed" for status, _ in rows)
    tickets = sorted(seq for status, seq in rows if status == "waitlisted")
    return {"signups": len(rows), "confirmed": confirmed, "confirmed_counter": counter, "waitlisted": len(tickets),
            "correct": confirmed == counter == min(CAPACITY, len(rows)) and tickets == list(range(1, len(tickets) + 1))}


# --- the server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, secret: str, port: int, workers: int) -> subprocess.Popen:
    """gunicorn with sync workers on the app, configured through the environment like production."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "REDIS_URL": "", "WECHAT_APPID": "",
           "WECHAT_SECRET": "", "DEV_LOGIN": "0", "LINLI_ENV": "development", "LOG_LEVEL": "WARNING",
           "ACCESS_TOKEN_TTL": "3600"}
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--backlog", "4096", "--log-level", "warning", "backend.wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the client -----------------------------------------------------------------------------------

async def send(port: int, method: str, path: str, token: str | None, started: float) -> tuple[float, int, bytes]:
    """One HTTP/1.1 request on its own connection; (seconds since `started`, status, body).

    A connection that fails counts as status 0, so a refused burst shows in the table instead of
    stopping the run."""
    headers = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", "Content-Length: 0"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
        await writer.drain()
        response = await reader.read()
        writer.close()
        head, _, body = response.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
    except (OSError, IndexError, ValueError):
        status, body = 0, b"{}"
    return time.perf_counter() - started, status, body


async def burst(port: int, method: str, paths_and_tokens: list[tuple[str, str | None]], concurrency: int) -> dict:
    """Launch every request at once (at most `concurrency` in flight) and time each from the launch."""
    limit = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def one(path, token):
        async with limit:
            return await send(port, method, path, token, started)

    answers = await asyncio.gather(*(one(path, token) for path, token in paths_and_tokens))
    wall = time.perf_counter() - started
    latencies = sorted(seconds for seconds, _, _ in answers)
    statuses: dict[int, int] = {}
    for _, status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    return {"requests": len(answers), "seconds": round(wall, 3), "per_second": round(len(answers) / wall, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p90_ms": round(percentile(latencies, 90) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1), "max_ms": round(latencies[-1] * 1000, 1),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "bodies": [body for _, _, body in answers]}


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


# --- the run --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.signups", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE),
                        help=f"PostgreSQL database to (re)create the schema in (default {DEFAULT_DATABASE})")
    parser.add_argument("--signups", type=int, default=2000, help="sign-ups per burst (one per volunteer)")
    parser.add_argument("--concurrency", type=int, default=0, help="requests in flight at most (default: all)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=3, help="bursts of each kind; the median round is reported")
    args = parser.parse_args(argv)
    concurrency = args.concurrency or args.signups

    secret = secrets.token_hex(32)
    load_before = os.getloadavg()
    ensure_database(args.database_url)
    seeded = seed(args.database_url, secret, args.signups, args.rounds)
    tokens = seeded["tokens"]
    port = free_port()
    server = start_server(args.database_url, secret, port, args.workers)
    rounds = []
    try:
        # Warm every worker: imports, connection pools, prepared statements.
        asyncio.run(burst(port, "GET", [("/healthz", None)] * 200, 50))
        asyncio.run(burst(port, "GET", [("/api/v1/activities", token) for token in tokens[:200]], 50))
        for shift_id in seeded["shift_ids"]:
            bare = asyncio.run(burst(port, "GET", [("/healthz", None)] * args.signups, concurrency))
            one_query = asyncio.run(burst(port, "GET", [("/api/v1/notifications/summary", t) for t in tokens],
                                          concurrency))
            signups = asyncio.run(burst(port, "POST", [(f"/api/v1/shifts/{shift_id}/signups", t) for t in tokens],
                                        concurrency))
            bodies = [json.loads(body) for body in signups.pop("bodies")]
            bare.pop("bodies")
            one_query.pop("bodies")
            positions = sorted(b["position"] for b in bodies if b.get("status") == "waitlisted")
            signups["answered_positions_ok"] = positions == list(range(1, len(positions) + 1))
            signups["database"] = outcome(args.database_url, secret, shift_id)
            rounds.append({"shift_id": shift_id, "bare_json": bare, "one_query": one_query, "signups": signups})
    finally:
        stop_server(server)

    load_after = os.getloadavg()
    median = sorted(rounds, key=lambda r: r["signups"]["per_second"])[len(rounds) // 2]
    result = {
        "benchmark": "signups",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "processor": platform.processor() or platform.machine(), "postgresql": server_version(args.database_url),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in load_after]},
        "parameters": {**vars(args), "database_url": sa.engine.make_url(args.database_url).render_as_string(),
                       "concurrency": concurrency, "capacity": CAPACITY},
        "rounds": rounds,
        "median_round": median,
        "signups_share_of_bare_json": round(median["signups"]["per_second"] / median["bare_json"]["per_second"], 3),
        "correct": all(r["signups"]["database"]["correct"] and r["signups"]["answered_positions_ok"]
                       and r["signups"]["statuses"] == {"201": args.signups} for r in rounds),
    }
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return result


def server_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.scalar(sa.text("SELECT version()")) if engine.dialect.name == "postgresql" else "sqlite"
    engine.dispose()
    return version.split(" on ")[0]


def print_table(result: dict) -> None:
    p = result["parameters"]
    print(f"signups benchmark: {p['signups']:,} requests per burst, {p['concurrency']:,} in flight, gunicorn "
          f"{p['workers']} sync workers, {result['machine']['cpus']} CPUs, {result['machine']['postgresql']}")
    print(f"load average {result['machine']['load_average_before'][0]} before, "
          f"{result['machine']['load_average_after'][0]} after (other processes share these CPUs if it is above 0)")
    print(f"\n{'round':<6}{'endpoint':<38}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}  statuses")
    for n, r in enumerate(result["rounds"], start=1):
        for label, row in (("GET /healthz (bare JSON)", r["bare_json"]),
                           ("GET /notifications/summary (1 query)", r["one_query"]),
                           ("POST /shifts/{id}/signups", r["signups"])):
            print(f"{n:<6}{label:<38}{row['seconds']:>9.2f}{row['per_second']:>9.0f}{row['p50_ms']:>9.0f}"
                  f"{row['p90_ms']:>9.0f}{row['p99_ms']:>9.0f}{row['max_ms']:>9.0f}  {row['statuses']}")
    m = result["median_round"]["signups"]
    q = result["median_round"]["one_query"]
    print(f"\nmedian round: {m['per_second']:.0f} sign-ups/s, p50 {m['p50_ms']:.0f} ms, p99 {m['p99_ms']:.0f} ms; "
          f"{result['signups_share_of_bare_json']:.1%} of the bare JSON throughput measured beside it "
          f"({m['per_second'] / q['per_second']:.0%} of the one-query endpoint)")
    checks = [f"{r['signups']['database']['confirmed']} confirmed + {r['signups']['database']['waitlisted']} waitlisted"
              for r in result["rounds"]]
    print(f"outcome: {'; '.join(checks)}; positions 1…N without gap or duplicate: "
          f"{'yes' if result['correct'] else 'NO'}")


if __name__ == "__main__":
    main()
