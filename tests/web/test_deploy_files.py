"""docker-compose.yml and the Dockerfile: structure checks that need no Docker daemon."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service(compose):
    services = compose["services"]

    for name in ("web", "worker", "beat", "db", "redis", "fake", "migrate", "catalog"):
        assert name in services, name
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "reseller", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "reseller", "beat"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_compose_fake_only_in_demo_profile(compose):
    services = compose["services"]

    assert services["fake"]["profiles"] == ["demo"]
    assert services["demo-plans"]["profiles"] == ["demo"]
    for name in ("web", "worker", "beat", "db", "redis", "migrate", "catalog"):
        assert "profiles" not in services[name], name


def test_compose_dependencies_name_services(compose):
    services = compose["services"]

    for name, service in services.items():
        depends = service.get("depends_on", {})
        targets = depends if isinstance(depends, list) else list(depends)
        for target in targets:
            assert target in services, f"{name} depends on unknown service {target}"
        network = service.get("network_mode", "")
        if network.startswith("service:"):
            assert network.removeprefix("service:") in services, name


def test_compose_publishes_only_loopback(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"


def test_compose_portal_urls_are_loopback(compose):
    environment = compose["services"]["web"]["environment"]

    assert "@127.0.0.1:5432/" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://127.0.0.1:6379/")


def test_dockerfile_installs_and_serves():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()

    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert "USER portal" in dockerfile
    assert '"gunicorn", "reseller.wsgi:application"' in dockerfile
