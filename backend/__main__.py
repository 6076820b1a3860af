"""`python -m backend serve`: the embedded demo (SQLite, in-process jobs, demo data, dev login)."""
from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m backend")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, seed the demo if needed, and serve the API")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    serve.add_argument("--no-seed", action="store_true", help="do not load demo data")
    args = parser.parse_args()

    from backend.app import create_app
    from backend.core.jobs import start_sweeper
    from backend.migrate import upgrade_database

    started = time.monotonic()
    app = create_app()
    with app.app_context():
        upgrade_database()
        if not args.no_seed:
            from backend.demo import seed_demo

            print("\n".join(seed_demo().lines()))
    if app.extensions.get("linli_queue") is None:
        start_sweeper(app)  # with Redis, `python -m backend.worker` runs the sweeps instead
    print(f"Linli ready in {time.monotonic() - started:.1f}s: http://{args.host}:{args.port}/api/docs "
          f"(dev login: {'on' if app.config['DEV_LOGIN'] else 'off'}, "
          f"jobs: {'RQ' if app.extensions.get('linli_queue') is not None else 'in-process'})", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
