"""Management commands: sync_catalog, seed_demo_plans, check_linode."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from provisioning.models import CatalogImage, CatalogRegion, CatalogType, JobRun, Plan
from provisioning.selectors import plan_problems


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_sync_catalog_fills_mirror(fake, db):
    output = run("sync_catalog")

    assert "Catalog synced" in output
    nanode = CatalogType.objects.get(id="g6-nanode-1")
    assert nanode.price_monthly > 0
    assert nanode.memory_mb > 0
    assert CatalogRegion.objects.filter(id="us-east", present=True).exists()
    assert CatalogImage.objects.filter(id="linode/debian12", present=True).exists()
    assert JobRun.objects.get(name="sync_catalog").last_succeeded_at is not None


def test_sync_catalog_marks_missing_entries(fake, db):
    CatalogRegion.objects.create(id="xx-gone", label="Gone")
    run("sync_catalog")
    assert CatalogRegion.objects.get(id="xx-gone").present is False


def test_seed_demo_plans_is_idempotent(fake, db):
    run("sync_catalog")

    first = run("seed_demo_plans")
    second = run("seed_demo_plans")

    assert "Created plan starter" in first
    assert "Updated plan starter" in second
    plans = {plan.slug: plan for plan in Plan.objects.all()}
    assert set(plans) == {"starter", "standard"}
    assert plans["starter"].linode_type == "g6-nanode-1"
    assert plans["standard"].linode_type == "g6-standard-2"
    for plan in plans.values():
        assert plan.active
        assert len(plan.regions) >= 2
        assert plan.image.startswith("linode/debian")
        for region in plan.regions:
            assert plan_problems(plan, region) == []


def test_seed_demo_plans_needs_catalog(db):
    with pytest.raises(CommandError, match="sync_catalog"):
        run("seed_demo_plans")


def test_check_linode_accepts_full_token(fake, db):
    output = run("check_linode")
    assert "every scope the portal needs" in output
    assert fake.token not in output


def test_check_linode_lists_missing_scopes(fake, db, settings):
    settings.LINODE_TOKEN = fake.add_token(scopes="linodes:read_write events:read_only")
    out = StringIO()

    with pytest.raises(CommandError, match="lacks scopes") as error:
        call_command("check_linode", stdout=out)

    listed = out.getvalue()
    for scope in (
        "account:read_only",
        "images:read_only",
        "stackscripts:read_write",
        "firewall:read_write",
    ):
        assert f"- {scope}" in listed
    assert "- linodes:read_write" not in listed
    assert "Cloud Manager" in str(error.value)
    assert settings.LINODE_TOKEN not in listed + str(error.value)


def test_check_linode_rejected_token(fake, db, settings):
    settings.LINODE_TOKEN = "not-a-valid-token"
    with pytest.raises(CommandError, match="invalid, expired or revoked") as error:
        run("check_linode")
    assert "not-a-valid-token" not in str(error.value)


def test_check_linode_unreachable_api(db, settings, no_client_backoff):
    settings.LINODE_API_URL = "http://127.0.0.1:9/v4"  # nothing listens on the discard port
    settings.LINODE_TOKEN = "some-token"
    with pytest.raises(
        CommandError, match="Could not reach the Linode API at http://127.0.0.1:9/v4"
    ):
        run("check_linode")


def test_sync_catalog_command_reports_failure(db, settings, no_client_backoff):
    settings.LINODE_API_URL = "http://127.0.0.1:9/v4"
    settings.LINODE_TOKEN = "some-token"
    with pytest.raises(CommandError, match="check_linode"):
        run("sync_catalog")
    assert JobRun.objects.get(name="sync_catalog").last_failed_at is not None
