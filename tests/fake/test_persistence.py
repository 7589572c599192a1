"""State in SQLite survives a restart: instances, events, tokens, labels, the clock."""

from __future__ import annotations

from pathlib import Path

from linode_fake.testing import run_fake
from tests.fake.helpers import create_linode, get


def test_restart_keeps_state(tmp_path: Path) -> None:
    state = str(tmp_path / "fake.sqlite3")
    with run_fake(speed=1.0, state_path=state) as fake:
        token = fake.add_token("linodes:read_only events:read_only")
        linode = create_linode(fake, label="survivor", tags=["kept"]).json()
        fake.clock.advance(3600)
        clock_before = fake.clock.now()

    with run_fake(speed=1.0, state_path=state) as fake:
        assert fake.clock.now() >= clock_before
        response = get(fake, f"/linode/instances/{linode['id']}", token=token)
        assert response.status_code == 200
        assert response.json()["label"] == "survivor"
        assert response.json()["tags"] == ["kept"]
        assert response.json()["status"] == "running"

        events = get(fake, "/account/events", token=token).json()["data"]
        assert {event["action"] for event in events} == {"linode_create", "linode_boot"}

        duplicate = create_linode(fake, label="survivor")
        assert duplicate.status_code == 400

        second = create_linode(fake).json()
        assert second["id"] == linode["id"] + 1


def test_transitions_continue_across_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "fake.sqlite3")
    with run_fake(speed=1.0, state_path=state) as fake:
        linode_id = create_linode(fake).json()["id"]

    with run_fake(speed=1.0, state_path=state) as fake:
        assert get(fake, f"/linode/instances/{linode_id}").json()["status"] == "provisioning"
        fake.clock.advance(120)
        assert get(fake, f"/linode/instances/{linode_id}").json()["status"] == "running"


def test_revoked_token_stays_revoked(tmp_path: Path) -> None:
    state = str(tmp_path / "fake.sqlite3")
    with run_fake(state_path=state) as fake:
        token = fake.add_token("*")
        fake.revoke_token(token)

    with run_fake(state_path=state) as fake:
        assert get(fake, "/profile", token=token).status_code == 401


def test_in_memory_state_starts_empty() -> None:
    with run_fake() as fake:
        create_linode(fake)
    with run_fake() as fake:
        assert fake.instances() == []


def test_state_directory_is_created(tmp_path: Path) -> None:
    state = tmp_path / "new" / "dir" / "fake.sqlite3"

    with run_fake(state_path=str(state)) as fake:
        create_linode(fake)

    assert state.exists()
