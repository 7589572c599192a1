"""The server state machine: allowed and rejected transitions, guarded updates, audit rows."""

from __future__ import annotations

import itertools

import pytest

from provisioning.models import Server, State, Transition
from provisioning.states import ALLOWED_TRANSITIONS, TransitionRejected, transition

ALLOWED = {
    ("pending", "provisioning"),
    ("pending", "terminating"),
    ("provisioning", "booting"),
    ("provisioning", "failed"),
    ("provisioning", "terminating"),
    ("booting", "running"),
    ("booting", "failed"),
    ("booting", "terminating"),
    ("running", "suspended"),
    ("running", "terminating"),
    ("suspended", "running"),
    ("suspended", "terminating"),
    ("failed", "provisioning"),
    ("failed", "terminating"),
    ("terminating", "terminated"),
    ("terminating", "failed"),
}
ALL_PAIRS = list(itertools.permutations(State.values, 2))


@pytest.fixture
def server(plan, customer) -> Server:
    return Server.objects.create(customer=customer, plan=plan, region="us-east")


def test_transition_table_matches_lifecycle():
    table = {(src, dst) for src, targets in ALLOWED_TRANSITIONS.items() for dst in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("from_state", "to_state"), sorted(ALLOWED))
def test_allowed_transition_updates_and_audits(server, from_state, to_state):
    Server.objects.filter(pk=server.pk).update(state=from_state)
    server.refresh_from_db()

    transition(server, to_state, actor="operator:7", reason="test move")

    server.refresh_from_db()
    assert server.state == to_state
    row = Transition.objects.get(server=server)
    assert (row.from_state, row.to_state) == (from_state, to_state)
    assert row.actor == "operator:7"
    assert row.reason == "test move"


@pytest.mark.parametrize(
    ("from_state", "to_state"), [pair for pair in ALL_PAIRS if pair not in ALLOWED]
)
def test_rejected_transition_changes_nothing(server, from_state, to_state):
    Server.objects.filter(pk=server.pk).update(state=from_state)
    server.refresh_from_db()

    with pytest.raises(TransitionRejected, match="not an allowed transition"):
        transition(server, to_state, actor="system")

    server.refresh_from_db()
    assert server.state == from_state
    assert not Transition.objects.filter(server=server).exists()


def test_guarded_update_loses_race_to_other_process(server):
    stale = Server.objects.get(pk=server.pk)  # still believes "pending"
    transition(server, State.PROVISIONING, actor="system")

    with pytest.raises(TransitionRejected, match="now 'provisioning'"):
        transition(stale, State.TERMINATING, actor="customer:1")

    server.refresh_from_db()
    assert server.state == State.PROVISIONING
    assert Transition.objects.filter(server=server).count() == 1


def test_transition_writes_extra_fields(server):
    Server.objects.filter(pk=server.pk).update(state=State.PROVISIONING)
    server.refresh_from_db()

    transition(server, State.FAILED, actor="system", failure_reason="create rejected")

    server.refresh_from_db()
    assert server.failure_reason == "create rejected"


def test_terminated_is_final(server):
    Server.objects.filter(pk=server.pk).update(state=State.TERMINATED)
    server.refresh_from_db()
    for target in State.values:
        if target == State.TERMINATED:
            continue
        with pytest.raises(TransitionRejected):
            transition(server, target, actor="system")


def test_try_transition_reloads_state_after_race(server):
    from provisioning.states import try_transition

    stale = Server.objects.get(pk=server.pk)
    transition(server, State.PROVISIONING, actor="system")

    assert try_transition(stale, State.PROVISIONING, actor="system") is False
    assert stale.state == State.PROVISIONING


def test_database_allows_one_active_operation(server):
    from django.db import IntegrityError, transaction

    from provisioning.models import Operation, OperationStatus

    Operation.objects.create(server=server, kind="reboot", status=OperationStatus.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.create(server=server, kind="power_off", status=OperationStatus.WAITING)
