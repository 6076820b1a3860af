"""Flask CLI commands: demo data, grid import, admin creation, sweeps."""
from __future__ import annotations

import click
from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach Linli's command groups to the app."""
    app.cli.add_command(jobs_cli)


@click.group("jobs", help="Background jobs.")
def jobs_cli():
    pass


@jobs_cli.command("sweep")
def sweep_once():
    """Run every periodic sweep once (outbox re-dispatch, …)."""
    from backend.core.jobs import run_periodic

    run_periodic()
    click.echo("swept")
