"""Rate limits per token with scaled windows, and the account's instance limit."""

from __future__ import annotations

import math

from linode_fake.testing import FakeHandle, run_fake
from tests.fake.helpers import create_linode, errors_by_field, get


def test_create_over_limit_in_one_window_is_429() -> None:
    with run_fake(speed=1.0) as fake:
        fake.rate_limits["linode_create"] = (3, 15)
        started = fake.clock.now()
        for _ in range(3):
            assert create_linode(fake).status_code == 200

        response = create_linode(fake)

        assert response.status_code == 429
        assert response.json() == {"errors": [{"reason": "Too Many Requests"}]}
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        reset = int(response.headers["X-RateLimit-Reset"])
        assert started + 15 <= reset <= math.ceil(fake.clock.now()) + 15
        assert 14 <= int(response.headers["Retry-After"]) <= 15
        assert len(fake.instances()) == 3


def test_create_passes_again_after_the_window() -> None:
    with run_fake(speed=1.0) as fake:
        fake.rate_limits["linode_create"] = (1, 15)
        assert create_linode(fake).status_code == 200
        assert create_linode(fake).status_code == 429

        fake.clock.advance(15)

        assert create_linode(fake).status_code == 200


def test_window_shrinks_with_speed() -> None:
    with run_fake(speed=2.0) as fake:
        fake.rate_limits["linode_create"] = (1, 15)
        assert create_linode(fake).status_code == 200

        response = create_linode(fake)

        assert response.status_code == 429
        assert response.headers["Retry-After"] == "8"  # 7.5 s, rounded up
        fake.clock.advance(7.5)
        assert create_linode(fake).status_code == 200


def test_default_create_limit_is_20_per_15_seconds() -> None:
    with run_fake(speed=1.0) as fake:
        statuses = [create_linode(fake).status_code for _ in range(21)]

    assert statuses == [200] * 20 + [429]


def test_successful_answers_carry_rate_headers(linode_fake: FakeHandle) -> None:
    first = get(linode_fake, "/linode/instances")
    second = get(linode_fake, "/linode/instances")

    assert first.headers["X-RateLimit-Limit"] == "200"
    assert first.headers["X-RateLimit-Remaining"] == "199"
    assert second.headers["X-RateLimit-Remaining"] == "198"
    assert "Retry-After" not in first.headers


def test_limits_are_per_token() -> None:
    with run_fake(speed=1.0) as fake:
        fake.rate_limits["images_list"] = (1, 60)
        other = fake.add_token("*")

        assert get(fake, "/images").status_code == 200
        assert get(fake, "/images").status_code == 429
        assert get(fake, "/images", token=other).status_code == 200


def test_named_limit_counts_only_its_operation() -> None:
    with run_fake(speed=1.0) as fake:
        fake.rate_limits["images_list"] = (1, 60)
        assert get(fake, "/images").status_code == 200

        assert get(fake, "/images").status_code == 429
        assert get(fake, "/images/linode/debian12").status_code == 200
        assert get(fake, "/linode/instances").status_code == 200


def test_instance_limit_rejects_create(linode_fake: FakeHandle) -> None:
    linode_fake.instance_limit = 2
    assert create_linode(linode_fake).status_code == 200
    assert create_linode(linode_fake).status_code == 200

    response = create_linode(linode_fake)

    assert response.status_code == 400
    assert errors_by_field(response) == {
        None: ["Account Limit reached. Please open a support ticket."]
    }
    assert len(linode_fake.instances()) == 2
