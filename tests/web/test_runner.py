"""The runner's process handling: prefixed output, shutdown, a child that dies.

These tests start small real Python children; nothing is mocked.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from reseller.processes import Cancelled, PrefixedOutput, ProcessGroup, ProcessSpec
from reseller.runner import Runner, RunnerError, highlight_mail, port_is_free, wait_for_port


def python(code: str) -> list[str]:
    return [sys.executable, "-u", "-c", code]


# A child that prints "ready", then on SIGTERM prints a line and exits 0.
POLITE_CHILD = """
import signal, sys, time
def stop(signum, frame):
    print("got SIGTERM, exiting", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""

# A child that ignores SIGTERM, so only SIGKILL ends it.
STUBBORN_CHILD = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def wait_until(condition, timeout: float = 10.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(0.02)


def pid_exists(pid: int) -> bool:
    """Return whether the process runs; a zombie waiting to be reaped counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def group():
    stream = io.StringIO()
    process_group = ProcessGroup(PrefixedOutput(stream), grace_seconds=5.0)
    process_group.stream = stream
    yield process_group
    process_group.kill_all()


def test_output_lines_carry_process_name(group):
    group.start(ProcessSpec("alpha", python("print('one'); print('two')")), expect_exit=True)
    group.start(ProcessSpec("beta-long", python("print('three')")), expect_exit=True)
    wait_until(lambda: all(p.exit_reported.is_set() for p in group.processes), message="exits")

    lines = group.stream.getvalue().splitlines()

    assert "alpha     | one" in lines
    assert "alpha     | two" in lines
    assert "beta-long | three" in lines
    assert lines.index("alpha     | one") < lines.index("alpha     | two")
    assert group.output.tail("alpha") == ["one", "two"]
    assert not group.unexpected_exit.is_set()


def test_output_keeps_stderr_and_partial_lines(group):
    code = "import sys; sys.stderr.write('oops\\n'); sys.stdout.write('no newline')"
    group.start(ProcessSpec("mixed", python(code)), expect_exit=True)
    wait_until(lambda: group.processes[0].exit_reported.is_set(), message="exit")

    assert group.output.tail("mixed") == ["oops", "no newline"]


def test_concurrent_writers_never_split_lines():
    stream = io.StringIO()
    output = PrefixedOutput(stream)

    def write_many(name: str) -> None:
        for number in range(300):
            output.write(name, f"{name} line {number}\n")

    threads = [threading.Thread(target=write_many, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = stream.getvalue().splitlines()
    assert len(lines) == 1200
    for line in lines:
        name, _, text = line.partition(" | ")
        assert text.startswith(name.strip() + " line "), line


def test_output_repeats_mail_lines_marked():
    stream = io.StringIO()
    output = PrefixedOutput(stream, highlight=highlight_mail)
    output.register("worker")
    mail = [
        "Subject: Confirm your email address",
        "From: portal@localhost",
        "To: dana@example.com",
        "",
        "http://127.0.0.1:8000/accounts/verify/eyJ1c2VyIjo1fQ:1t2x:abc/",
    ]
    for line in mail:
        output.write("web", line)
    output.write("beat", "Scheduler: Sending due task /accounts/verify/ lookalike")

    lines = stream.getvalue().splitlines()
    marked = [line for line in lines if line.startswith("mail ")]
    assert marked == [
        "mail   | >>> Subject: Confirm your email address",
        "mail   | >>> To: dana@example.com",
        "mail   | >>> http://127.0.0.1:8000/accounts/verify/eyJ1c2VyIjo1fQ:1t2x:abc/",
    ]
    assert lines[0] == "web    | Subject: Confirm your email address"
    assert lines[1] == marked[0]
    assert output.tail("mail") == []


def test_output_report_names_each_process():
    output = PrefixedOutput(None, tail_lines=2)
    for number in range(5):
        output.write("web", f"request {number}")
    output.write("worker", "task done")

    report = output.report()

    assert "----- web (last 2 lines) -----" in report
    assert "request 4" in report
    assert "request 2" not in report
    assert "task done" in report


def test_stop_all_sends_sigterm_first(group):
    polite = group.start(ProcessSpec("polite", python(POLITE_CHILD)))
    wait_until(lambda: group.output.tail("polite") == ["ready"], message="child ready")

    started = time.monotonic()
    group.stop_all()

    assert time.monotonic() - started < 4.0
    assert polite.returncode == 0
    assert "got SIGTERM, exiting" in group.output.tail("polite")
    assert not group.unexpected_exit.is_set()


def test_stop_all_kills_child_ignoring_sigterm(group):
    group.grace_seconds = 0.5
    stubborn = group.start(ProcessSpec("stubborn", python(STUBBORN_CHILD)))
    wait_until(lambda: group.output.tail("stubborn") == ["ready"], message="child ready")

    group.stop_all()

    assert stubborn.returncode == -signal.SIGKILL
    assert "[still running after 0.5 s; killing it]" in group.output.tail("stubborn")


def test_stop_all_ends_grandchildren(group, tmp_path: Path):
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('ready', flush=True)\n"
        "child.wait()\n"
    )
    group.start(ProcessSpec("parent", python(code)))
    wait_until(lambda: group.output.tail("parent") == ["ready"], message="parent ready")
    grandchild = int(pid_file.read_text())
    assert pid_exists(grandchild)

    group.stop_all()

    wait_until(lambda: not pid_exists(grandchild), timeout=5, message="grandchild gone")


def test_unexpected_exit_is_reported(group):
    group.start(ProcessSpec("steady", python(POLITE_CHILD)))
    group.start(ProcessSpec("crasher", python("import sys; print('bye'); sys.exit(3)")))

    assert group.unexpected_exit.wait(10)
    assert group.first_unexpected is not None
    assert group.first_unexpected.name == "crasher"
    assert group.output.tail("crasher") == ["bye", "[exited unexpectedly with code 3]"]


def test_run_to_completion_returns_exit_code(group):
    code = group.run_to_completion(ProcessSpec("once", python("print('hi'); raise SystemExit(4)")))

    assert code == 4
    assert group.output.tail("once") == ["hi"]
    assert group.processes == []
    assert not group.unexpected_exit.is_set()


def test_run_to_completion_stops_on_cancel(group):
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()

    with pytest.raises(Cancelled, match="slow was stopped"):
        group.run_to_completion(ProcessSpec("slow", python(POLITE_CHILD)), cancel=cancel)

    assert "got SIGTERM, exiting" in group.output.tail("slow")


def make_runner(**settings) -> Runner:
    values = {
        "PORTAL_PORT": 1,
        "DEMO_MODE": False,
        "LINODE_FAKE_PORT": 1,
        "PORTAL_BASE_URL": "http://127.0.0.1:1",
    }
    values.update(settings)
    runner = Runner(SimpleNamespace(**values), output=PrefixedOutput(io.StringIO()))
    runner.group.grace_seconds = 5.0
    return runner


def test_runner_stops_everything_when_one_dies():
    runner = make_runner()
    steady = runner.group.start(ProcessSpec("steady", python(POLITE_CHILD)))
    runner.group.start(ProcessSpec("crasher", python("raise SystemExit(2)")))

    code = runner.serve()

    assert code == 1
    assert steady.returncode == 0
    printed = runner.output.tail("runner")
    assert "crasher exited with code 2; stopping the others." in printed
    assert printed[-1] == "Stopped."


def test_runner_stops_on_sigterm():
    runner = make_runner()
    steady = runner.group.start(ProcessSpec("steady", python(POLITE_CHILD)))
    wait_until(lambda: runner.output.tail("steady") == ["ready"], message="child ready")
    threading.Timer(0.2, runner.request_stop, args=(signal.SIGTERM, None)).start()

    code = runner.serve()

    assert code == 0
    assert steady.returncode == 0
    printed = runner.output.tail("runner")
    assert "Received SIGTERM." in printed
    assert "Stopping every process." in printed


def test_runner_rejects_busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port)
        assert wait_for_port(port, timeout=1)
        runner = make_runner(PORTAL_PORT=port)

        with pytest.raises(RunnerError, match=f"Port {port} on 127.0.0.1 is in use"):
            runner.check_ports()


def test_wait_for_port_gives_up_when_process_dies():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()

    assert not wait_for_port(port, timeout=10, alive=lambda: False)
    assert time.monotonic() - started < 1


def test_runner_setup_command_failure_names_step():
    runner = make_runner()

    with pytest.raises(RunnerError, match="catalog failed with exit code 3; its output is above"):
        runner.setup_command("catalog", python("print('no token'); raise SystemExit(3)"))

    assert runner.output.tail("catalog") == ["no token"]


def test_runner_checks_fake_port_in_demo_mode():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        free = free_test_port()
        demo = make_runner(DEMO_MODE=True, LINODE_FAKE_PORT=port, PORTAL_PORT=free)
        real = make_runner(DEMO_MODE=False, LINODE_FAKE_PORT=port, PORTAL_PORT=free)

        with pytest.raises(RunnerError, match=f"LINODE_FAKE_PORT={port + 1} make run"):
            demo.check_ports()
        real.check_ports()


def free_test_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
