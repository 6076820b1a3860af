"""`python -m backend.testserver --port 0`: the real app on a throwaway SQLite database.

Used by the mini-program's end-to-end tests: it prints one JSON line with the URL and a valid
household invite code once it is listening, and serves until killed. `--seed module:function`
(repeatable) adds a feature's own data; what the function returns joins the JSON line.
"""
from __future__ import annotations

import argparse
import importlib
import json
import shutil
import signal
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import make_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-ttl", type=int, default=900, help="access token lifetime, seconds")
    parser.add_argument("--seed", action="append", default=[], metavar="MODULE:FUNCTION",
                        help="also call this function in the app context; the dict it returns joins the ready line")
    args = parser.parse_args()

    from backend.accounts.models import Household, HouseholdInvite
    from backend.app import create_app
    from backend.core.db import utcnow
    from backend.extensions import db
    from backend.grids.models import Community, District, Grid, Street
    from backend.grids.service import bump_geo_version
    from backend.migrate import upgrade_database

    workdir = Path(tempfile.mkdtemp(prefix="linli-testserver-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'linli.db'}", "REDIS_URL": None,
                      "DEV_LOGIN": True, "WECHAT_APPID": "", "WECHAT_SECRET": "", "LINLI_ENV": "testing",
                      "MEDIA_ROOT": str(workdir / "media"), "ACCESS_TOKEN_TTL": args.access_ttl,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade_database()
        street = Street(district=District(code="320506", name="吴中区"), code="320506-001", name="长桥街道")
        grid = Grid(community=Community(street=street, code="320506-001-001", name="测试社区"),
                    code="320506-001-001-01", name="第一网格",
                    boundary=json.dumps({"type": "Polygon", "coordinates": [[[120.6, 31.3], [120.61, 31.3],
                                                                             [120.61, 31.31], [120.6, 31.31],
                                                                             [120.6, 31.3]]]}))
        household = Household(grid=grid, address="长桥新村 1 幢 101")
        invite = HouseholdInvite(household=household, code="TEST2345", max_uses=20,
                                 expires_at=utcnow() + timedelta(days=1))
        db.session.add_all([street, invite])
        bump_geo_version()
        db.session.commit()
        ready = {"invite_code": "TEST2345"}
        for target in args.seed:  # feature tests add their own data, e.g. tests.cases.e2e_seed:seed
            module, _, function = target.partition(":")
            ready.update(getattr(importlib.import_module(module), function)() or {})
            db.session.commit()
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    # The tests stop us with SIGTERM: turn it into a normal exit so the temporary files go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"url": f"http://127.0.0.1:{server.server_port}", **ready}, ensure_ascii=False), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
