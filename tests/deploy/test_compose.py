"""No Docker engine runs here, so the production shape is checked by reading it."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from backend.config import from_environment

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "docker-compose.yml"
OUR_IMAGE_COMMANDS = {"python", "gunicorn"}


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def module_exists(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def assert_command_exists(command: list[str]) -> None:
    program = command[0]
    assert program in OUR_IMAGE_COMMANDS, f"unknown program {program}"
    if program == "python":
        assert command[1] == "-m"
        spec = importlib.util.find_spec(command[2])
        assert spec is not None, command[2]
        if spec.submodule_search_locations:  # a package runs its __main__
            spec = importlib.util.find_spec(f"{command[2]}.__main__")
        assert 'if __name__ == "__main__":' in Path(spec.origin).read_text(), command[2]
    else:
        target = command[-1]
        module, _, attr = target.partition(":")
        assert module_exists(module), target
        assert re.search(rf"^{attr}\s*=", Path(importlib.util.find_spec(module).origin).read_text(), re.M), target


def test_compose_has_the_production_services():
    assert set(services()) >= {"api", "worker", "postgres", "redis", "proxy", "migrate"}


def test_every_project_command_exists():
    for name, service in services().items():
        if "build" in service:
            assert_command_exists(service["command"])


def test_worker_runs_with_the_scheduler():
    worker = Path(importlib.util.find_spec("backend.worker").origin).read_text()
    assert "with_scheduler=True" in worker
    assert services()["worker"]["command"][:3] == ["python", "-m", "backend.worker"]


def test_redis_persists_with_aof():
    command = services()["redis"]["command"]
    assert "--appendonly" in command and command[command.index("--appendonly") + 1] == "yes"


def test_files_the_compose_mounts_exist():
    for service in services().values():
        build = service.get("build")
        if build:
            assert (COMPOSE.parent / build["context"] / build["dockerfile"]).exists()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), source


def test_environment_names_are_settings_the_app_reads():
    settings = from_environment({})
    known = set(settings) | {"DATABASE_URL", "POSTGRES_PASSWORD"}
    for name in services()["api"]["environment"]:
        assert name in known or name in settings, name


def test_dockerfile_command_exists():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    assert_command_exists(yaml.safe_load(cmd))


def test_nginx_serves_media_only_internally():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    block = conf[conf.index("location /protected-media/"):]
    assert "internal;" in block.split("}")[0]


def test_nginx_does_not_log_ballot_receipts():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    block = conf[conf.index("location ~ ^/api/v1/topics/[0-9]+/receipts/"):]
    assert "access_log off;" in block.split("}")[0]
