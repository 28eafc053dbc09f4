"""``dermadelta start`` supervises its children: a worker killed outright (as the kernel's
out-of-memory killer does) is started again while the web keeps answering, and SIGTERM
stops every process it started."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dermadelta.clinic.running import RESTART_DELAY_MAX_S, STABLE_AFTER_S, Child, describe_exit, free_port
from tests.workers.conftest import CLI, clinic_env, wait_until

WORKER_STARTED = re.compile(r"^worker started \(pid (\d+)\)$", re.MULTILINE)


def _status(url: str) -> str:
    """The HTTP status of a GET, or what went wrong instead."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.status)
    except urllib.error.HTTPError as error:
        return str(error.code)
    except OSError as error:
        return f"no answer ({error})"


def _process_table() -> dict[int, tuple[int, str, str]]:
    """pid: (parent pid, state, start time) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended while we looked
                continue
            # The command name, in parentheses, may hold spaces: the fields follow the last ")".
            fields = stat[stat.rindex(")") + 2 :].split()
            table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def _descendants(root: int) -> dict[int, str]:
    """Every process below ``root`` (children, theirs, ...), by pid, with its start time."""
    table = _process_table()
    found: dict[int, str] = {}
    parents = {root}
    while parents:
        children = {pid for pid, (ppid, _, _) in table.items() if ppid in parents and pid not in found}
        found |= {pid: table[pid][2] for pid in children}
        parents = children
    return found


def _still_running(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still alive (a zombie or a new process under a reused pid is not)."""
    table = _process_table()
    alive = []
    for pid, started in processes.items():
        if pid in table and table[pid][2] == started and table[pid][1] != "Z":
            alive.append(pid)
    return alive


@pytest.fixture
def started(tmp_path: Path, migrated_data: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    """``dermadelta start`` on a free port of 127.0.0.1 over a migrated data folder; its output and address."""
    data = tmp_path / "data"
    shutil.copytree(migrated_data, data)
    output = tmp_path / "start.log"
    port = free_port()
    address = ["--host", "127.0.0.1", "--port", str(port)]
    with output.open("wb") as out:
        start = subprocess.Popen(
            [*CLI, "start", "--no-demo", *address],
            env=clinic_env(data, None),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield start, output, f"http://127.0.0.1:{port}/login/"
    finally:
        if start.poll() is None:
            for pid in _descendants(start.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            start.kill()
            start.wait()


def test_a_killed_worker_is_started_again_while_the_web_answers_and_sigterm_stops_all(
    started: tuple[subprocess.Popen[bytes], Path, str],
) -> None:
    start, output, url = started

    def log() -> str:
        return output.read_text(errors="replace")

    def workers() -> list[int]:
        return [int(pid) for pid in WORKER_STARTED.findall(log())]

    # Supervised from the line that says it runs: a child dying before that is a failed start.
    def running() -> bool:
        return "dermadelta is running at" in log() and _status(url) == "200" and len(workers()) == 1

    wait_until(running, "the clinic to answer", deadline_s=240)
    victim = workers()[0]
    assert victim in _descendants(start.pid)

    os.kill(victim, signal.SIGKILL)
    answers: list[str] = []

    def a_new_worker_runs() -> bool:
        answers.append(_status(url))
        # The latest: a worker that died again on starting is itself started again.
        return len(workers()) >= 2 and workers()[-1] in _descendants(start.pid)

    try:
        wait_until(a_new_worker_runs, "a new worker", deadline_s=20)
    except pytest.fail.Exception:
        pytest.fail(f"no new worker within 20 s; the clinic's output ends with:\n{log()[-4000:]}")
    answers.append(_status(url))
    assert set(answers) == {"200"}, answers
    assert f"worker (pid {victim}) killed by SIGKILL" in log()
    assert start.poll() is None

    everything = _descendants(start.pid)
    assert len(everything) >= 3, everything  # the worker, the web server and its own workers
    start.send_signal(signal.SIGTERM)
    assert start.wait(timeout=60) == 0
    wait_until(lambda: not _still_running(everything), "every process it started to end", deadline_s=10)
    assert "dermadelta stopped." in log()


def _died(child: Child) -> None:
    child.process.wait(timeout=30)


def test_a_child_that_keeps_dying_is_started_again_ever_later_and_sooner_once_it_ran_a_while(caplog):
    caplog.set_level("INFO", logger="dermadelta.clinic.running")
    child = Child("worker", [sys.executable, "-c", "raise SystemExit(3)"], env=None, output=subprocess.DEVNULL)
    delays = []
    for _ in range(7):
        _died(child)
        first = child.process.pid
        now = time.monotonic()
        child.supervise(now)  # notices the death
        assert f"worker (pid {first}) exited with status 3; starting it again in" in caplog.text
        delays.append(float(caplog.records[-1].args[-1]))
        child.supervise(now + delays[-1] - 0.01)
        assert child.process.pid == first  # not before its delay
        child.supervise(now + delays[-1])
        assert child.process.pid != first
    assert delays == [1, 2, 4, 8, 16, RESTART_DELAY_MAX_S, RESTART_DELAY_MAX_S]

    _died(child)
    child.supervise(time.monotonic() + STABLE_AFTER_S)  # as if it had run for a minute
    assert caplog.records[-1].args[-1] == 1


def test_an_exit_is_named_by_its_signal_or_its_status():
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(-signal.SIGTERM) == "killed by SIGTERM"
    assert describe_exit(0) == "exited with status 0"
    assert describe_exit(2) == "exited with status 2"
    assert describe_exit(-200) == "killed by signal 200"
