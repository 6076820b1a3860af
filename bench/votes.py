"""Benchmark ballots per second on PostgreSQL under a burst of voters, beside a bare JSON endpoint of the same app.

Run from the repository root: `.venv/bin/python -m bench.votes` (see bench/README.md).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "votes.json"
GOAL = 0.25  # ballots/s as a share of the bare-JSON ceiling measured in the same run
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/linli_bench"


# --- the database ---------------------------------------------------------------------------------

def prepare_database(url: str) -> None:
    """Create the benchmark database when it does not exist (PostgreSQL only)."""
    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        sys.exit("bench.votes measures PostgreSQL: pass a postgresql+psycopg:// URL")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def seed(app, voters: int, rounds: int) -> dict:
    """A fresh schema; one community of `voters` verified residents (a household each); one open
    yes/no/abstain topic per round plus one to warm up; an access token per voter."""
    from backend.accounts.models import Household, HouseholdMember, RoleAssignment, User
    from backend.core.auth import issue_access_token, load_actor
    from backend.core.db import utcnow
    from backend.deliberations import ballots, service
    from backend.extensions import db
    from backend.grids.models import Community, District, Grid, Street

    with app.app_context():
        db.drop_all()
        db.create_all()
        boundary = json.dumps({"type": "Polygon", "coordinates": [[[120.6, 31.3], [120.61, 31.3], [120.61, 31.31],
                                                                   [120.6, 31.31], [120.6, 31.3]]]})
        street = Street(district=District(code="320506", name="吴中区"), code="320506-001", name="长桥街道")
        community = Community(street=street, code="320506-001-001", name="基准社区")
        grid = Grid(community=community, code="320506-001-001-01", name="第一网格", boundary=boundary)
        committee = User(openid="bench-committee", nickname="居委会")
        db.session.add_all([street, committee])
        db.session.flush()
        db.session.add(RoleAssignment(user_id=committee.id, role="committee", scope_type="community",
                                      scope_id=community.id))
        before = utcnow() - timedelta(minutes=1)
        db.session.execute(sa.insert(User), [{"openid": f"bench-voter-{i}", "nickname": f"居民{i}",
                                              "created_at": before} for i in range(voters)])
        users = list(db.session.scalars(sa.select(User.id).where(User.openid.like("bench-voter-%")).order_by(User.id)))
        db.session.execute(sa.insert(Household), [{"grid_id": grid.id, "address": f"基准小区 {i} 号",
                                                   "building": "", "created_at": before} for i in range(voters)])
        homes = list(db.session.scalars(sa.select(Household.id).order_by(Household.id)))
        db.session.execute(sa.insert(HouseholdMember), [{"household_id": h, "user_id": u, "joined_at": before,
                                                         "verified_at": before} for u, h in zip(users, homes)])
        db.session.commit()
        manager = load_actor(committee.id)
        spec = {"type": "yes_no_abstain", "options": [], "max_choices": 1, "per": "person", "quorum_percent": 0,
                "pass_rule": "majority_cast", "hide_counts_until_close": False}
        topics = []
        for n in range(rounds + 1):
            topic = service.create_topic(manager, {"title": f"基准议题 {n}", "body": "基准测试用的议题。",
                                                   "community_id": community.id, "ballot": spec})
            ballots.open_voting(topic.id, manager, utcnow() + timedelta(days=1))
            topics.append({"id": topic.id, "options": [o.id for o in topic.poll.options]})
        tokens = [issue_access_token(user_id, "bench")[0] for user_id in users]
        return {"topics": topics, "tokens": tokens}


def verify(app, topic_id: int, expected: int) -> dict:
    """Count what the burst stored, close the vote and check the tally and the hash chain."""
    from backend.deliberations import ballots
    from backend.deliberations.models import Ballot, Poll, Voter
    from backend.extensions import db

    with app.app_context():
        voters = db.session.scalar(sa.select(sa.func.count(Voter.id)).where(Voter.topic_id == topic_id))
        stored = db.session.scalar(sa.select(sa.func.count(Ballot.key)).where(Ballot.topic_id == topic_id))
        ballots.close_voting(topic_id, datetime.now(timezone.utc) + timedelta(days=2))
        db.session.commit()
        poll = db.session.get(Poll, topic_id)
        count, final, intact = ballots.verify_chain(topic_id)
        ok = voters == stored == poll.cast_count == count == expected and intact and final == poll.chain_hash
        return {"voters_rows": voters, "ballot_rows": stored, "tallied": poll.cast_count,
                "per_option": [o.votes for o in poll.options], "chain_intact": intact, "consistent": ok}


# --- the server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, secret: str, port: int, workers: int, threads: int,
                 worker_class: str) -> subprocess.Popen:
    """gunicorn with the production entry point, in-process jobs, no access log."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret, "LINLI_ENV": "bench", "REDIS_URL": "",
           "DEV_LOGIN": "0", "LOG_LEVEL": "WARNING", "WECHAT_APPID": "", "WECHAT_SECRET": ""}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", worker_class, "--threads", str(threads), "--keep-alive", "10",
               "--backlog", "4096", "--log-level", "warning", "backend.wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


# --- the client: plain HTTP/1.1 keep-alive over asyncio streams, so it costs the shared CPUs little ---

def get(path: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n".encode()


def post(path: str, token: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
    return head.encode() + data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


async def _connection(port: int, work: list[bytes], cursor: list[int], results: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while cursor[0] < len(work):
            index = cursor[0]
            cursor[0] += 1
            started = time.perf_counter()
            writer.write(work[index])
            try:
                status, keep = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                status, keep = 0, False
            results[index] = (status, time.perf_counter() - started)
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _load(port: int, work: list[bytes], concurrency: int) -> tuple[float, list]:
    results: list = [None] * len(work)
    cursor = [0]
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, work, cursor, results) for _ in range(min(concurrency, len(work)))))
    return time.perf_counter() - started, results


def load(port: int, work: list[bytes], concurrency: int) -> dict:
    """Send every request over `concurrency` keep-alive connections; throughput, errors, latency."""
    seconds, results = asyncio.run(_load(port, work, concurrency))
    latencies = sorted(latency for _, latency in results)
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {"requests": len(work), "seconds": round(seconds, 3), "per_second": round(len(work) / seconds, 1),
            "statuses": statuses, "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)}


POSTGRES_HELPERS = ("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication")


def cpu_by_process(server_pid: int, database: str) -> dict[str, int]:
    """CPU jiffies used so far by the app server, PostgreSQL (our database's backends and its shared
    helpers), this client, and everything else on the machine (Linux /proc)."""
    used = {"server": 0, "postgres": 0, "client": 0}
    try:
        busy = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            pid, parent, jiffies = int(entry.name), int(fields[1]), int(fields[11]) + int(fields[12])
            if pid == os.getpid():
                used["client"] += jiffies
            elif server_pid in (pid, parent):
                used["server"] += jiffies
            elif command.startswith("postgres:") and (f" {database} " in command
                                                      or any(h in command for h in POSTGRES_HELPERS)):
                used["postgres"] += jiffies
    except OSError:
        return {"server": 0, "postgres": 0, "client": 0, "other": 0}
    total_busy = sum(busy) - busy[3] - (busy[4] if len(busy) > 4 else 0)  # all but idle and iowait
    return {**used, "other": total_busy - sum(used.values())}


def measured(port: int, work: list[bytes], concurrency: int, server_pid: int, database: str) -> dict:
    """`load`, plus the CPU time the server, PostgreSQL, the client and other processes used meanwhile."""
    before = cpu_by_process(server_pid, database)
    result = load(port, work, concurrency)
    after = cpu_by_process(server_pid, database)
    ticks = os.sysconf("SC_CLK_TCK")
    result["cpu_ms_per_request"] = {group: round((after[group] - before[group]) / ticks * 1000 / len(work), 3)
                                    for group in before}
    return result


# --- the run --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.votes", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--voters", type=int, default=2000, help="voters in each burst (each votes once)")
    parser.add_argument("--concurrency", type=int, default=64, help="connections the client keeps busy")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (docker/ runs 4)")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"),
                        help="gthread, as in docker/; sync serves one request per worker at a time")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (docker/ runs 4)")
    parser.add_argument("--ceiling-requests", type=int, default=6000,
                        help="requests per round to the bare JSON and the one-query endpoints")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ceiling, one-query and burst; medians")
    args = parser.parse_args(argv)

    from backend.app import create_app

    prepare_database(args.database_url)
    secret = secrets.token_urlsafe(32)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": secret, "REDIS_URL": None,
                      "LINLI_ENV": "bench", "WECHAT_APPID": "", "WECHAT_SECRET": "", "LOG_LEVEL": "WARNING"})
    print(f"seeding {args.voters:,} voters and {args.rounds + 1} open topics …", flush=True)
    seeded = seed(app, args.voters, args.rounds)
    with app.app_context():
        from backend.extensions import db
        pg = {name: db.session.execute(sa.text(f"SHOW {name}")).scalar()
              for name in ("server_version", "synchronous_commit", "shared_buffers", "max_connections")}
    database = sa.engine.make_url(args.database_url).database
    port = free_port()
    server = start_server(args.database_url, secret, port, args.workers, args.threads, args.worker_class)
    rounds = []
    try:
        warm, *measured_topics = seeded["topics"]
        warm_up = [post(f"/api/v1/topics/{warm['id']}/ballots", token, {"option_ids": [warm["options"][0]]})
                   for token in seeded["tokens"][:300]]
        tokens = seeded["tokens"]
        floor = [get("/api/v1/notifications/summary", tokens[i % len(tokens)]) for i in range(args.ceiling_requests)]
        load(port, [get("/healthz")] * 1000 + floor[:500], args.concurrency)
        load(port, warm_up, args.concurrency)
        for n, topic in enumerate(measured_topics, 1):
            load_before = os.getloadavg()[0]
            ceiling = measured(port, [get("/healthz")] * args.ceiling_requests, args.concurrency, server.pid,
                               database)
            one_query = measured(port, floor, args.concurrency, server.pid, database)
            choices = topic["options"]
            burst = [post(f"/api/v1/topics/{topic['id']}/ballots", token, {"option_ids": [choices[i % 3]]})
                     for i, token in enumerate(seeded["tokens"])]
            ballots = measured(port, burst, args.concurrency, server.pid, database)
            check = verify(app, topic["id"], args.voters)
            rounds.append({"ceiling": ceiling, "one_query": one_query, "ballots": ballots, "check": check,
                           "load_average": [load_before, os.getloadavg()[0]]})
            print(f"round {n}: /healthz {ceiling['per_second']:,.0f}/s · one-query {one_query['per_second']:,.0f}/s · "
                  f"ballots {ballots['per_second']:,.0f}/s, statuses {ballots['statuses']}, "
                  f"stored and tallied consistently: {check['consistent']}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    median = lambda key: statistics.median(r[key]["per_second"] for r in rounds)  # noqa: E731
    errors = sum(sum(n for status, n in r["ballots"]["statuses"].items() if status != 201) for r in rounds)
    consistent = all(r["check"]["consistent"] for r in rounds)
    ratio = median("ballots") / median("ceiling")

    def own_cpu(key: str) -> float:  # CPU per request of the server, PostgreSQL and the client, median of rounds
        return statistics.median(sum(v for group, v in r[key]["cpu_ms_per_request"].items() if group != "other")
                                 for r in rounds)
    result = {
        "benchmark": "votes",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                    "postgresql": pg, "server": (f"gunicorn {args.worker_class}, {args.workers} workers"
                               + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")),
                    "client": "asyncio HTTP/1.1 keep-alive, same machine, not pinned"},
        "parameters": vars(args) | {"database_url": sa.engine.make_url(args.database_url).render_as_string()},
        "rounds": rounds,
        "median_per_second": {"healthz": median("ceiling"), "one_query": median("one_query"),
                              "ballots": median("ballots")},
        "ballots_share_of_ceiling": round(ratio, 3),
        "ballots_share_of_one_query": round(median("ballots") / median("one_query"), 3),
        # The same share from CPU cost per request, which other processes on a shared machine do not skew.
        "ballots_share_by_cpu": round(own_cpu("ceiling") / own_cpu("ballots"), 3),
        "ballot_errors": errors,
        "stored_and_tallied_consistently": consistent,
        "goal_share": GOAL,
    }
    result["goal_met"] = ratio >= GOAL and errors == 0 and consistent
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return result


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"\nvotes benchmark: {result['parameters']['voters']:,} voters per burst, "
          f"{result['parameters']['concurrency']} connections; {m['server']}; "
          f"PostgreSQL {m['postgresql']['server_version']} "
          f"(synchronous_commit={m['postgresql']['synchronous_commit']}); {m['cpus']} CPUs shared by client, server "
          f"and database")
    print(f"\n{'endpoint':<36}{'req/s (median)':>16}{'p50 ms':>9}{'p99 ms':>9}"
          f"   CPU ms per request: server / PostgreSQL / client / other processes")
    rows = (("GET /healthz (bare JSON ceiling)", "ceiling", "healthz"),
            ("GET /notifications/summary (1 query)", "one_query", "one_query"),
            ("POST /topics/{id}/ballots", "ballots", "ballots"))
    for label, key, median_key in rows:
        last = result["rounds"][len(result["rounds"]) // 2][key]
        cpu = last["cpu_ms_per_request"]
        print(f"{label:<36}{result['median_per_second'][median_key]:>16,.0f}{last['p50_ms']:>9}{last['p99_ms']:>9}"
              f"   {cpu['server']:.2f} / {cpu['postgres']:.2f} / {cpu['client']:.2f} / {cpu['other']:.2f}")
    verdict = "met" if result["goal_met"] else "NOT met"
    print(f"\nballots/s = {result['ballots_share_of_ceiling']:.1%} of the ceiling "
          f"({result['ballots_share_by_cpu']:.1%} by CPU cost per request; "
          f"{result['ballots_share_of_one_query']:.0%} of the one-query endpoint); errors: {result['ballot_errors']}; "
          f"stored, tallied and chained consistently: {result['stored_and_tallied_consistently']}")
    print(f"goal ≥ {result['goal_share']:.0%} of the ceiling with zero errors: {verdict}")


if __name__ == "__main__":
    main()
