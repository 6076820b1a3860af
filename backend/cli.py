"""Flask CLI commands: demo data, grid import, admin creation, sweeps."""
from __future__ import annotations

import json

import click
from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach Linli's command groups to the app."""
    app.cli.add_command(jobs_cli)
    app.cli.add_command(grids_cli)
    app.cli.add_command(demo_cli)


@click.group("jobs", help="Background jobs.")
def jobs_cli():
    pass


@jobs_cli.command("sweep")
def sweep_once():
    """Run every periodic sweep once (outbox re-dispatch, …)."""
    from backend.core.jobs import run_periodic

    run_periodic()
    click.echo("swept")


@click.group("grids", help="Grid boundaries (网格).")
def grids_cli():
    pass


@grids_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--overlap-tolerance", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Overlap allowed between two grids, in square metres.")
def import_grids_command(path: str, overlap_tolerance: float):
    """Import grid polygons from a GeoJSON FeatureCollection; all or nothing, idempotent by grid code."""
    from backend.grids.importer import GridFileInvalid, import_grids

    try:
        with open(path, encoding="utf-8") as file:
            feature_collection = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"无法读取 GeoJSON 文件：{exc}") from None
    try:
        report = import_grids(feature_collection, overlap_tolerance)
    except GridFileInvalid as exc:
        click.echo(f"{exc.message}，共 {len(exc.problems)} 个问题：", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(report.summary())


@click.group("demo", help="Demo data (演示数据).")
def demo_cli():
    pass


@demo_cli.command("seed")
def seed_demo_command():
    """Write the demo district, staff and residents; does nothing when the demo is already complete."""
    from backend.core.errors import DomainError
    from backend.demo import seed_demo

    try:
        summary = seed_demo()
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    for line in summary.lines():
        click.echo(line)
