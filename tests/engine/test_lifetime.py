"""Engine process lifetime, with real process trees: user code's processes die with the engine, no trace file is left.

The helpers here read /proc; tests/cli/test_signals.py uses them too.
"""

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from gradlab.engine import CurvesRequest, Engine, LoadRequest, Source
from tests.helpers import builtin, data

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

REPO = Path(__file__).resolve().parents[2]


# -- process helpers ----------------------------------------------------------
def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of ``pid``, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid)


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    info = _stat(pid)
    return info is not None and info[0] != "Z"


def descendants(root: int) -> set[int]:
    """Every live process below ``root``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _stat(int(entry))) is not None and info[0] != "Z":
            children.setdefault(info[1], []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def ancestors(pid: int) -> set[int]:
    """The processes above ``pid``, up to (not including) init."""
    chain = set()
    while (info := _stat(pid)) is not None and info[1] > 1:
        pid = info[1]
        chain.add(pid)
    return chain


def with_argument(argument: str) -> set[int]:
    """Live processes that have ``argument`` among their command-line arguments."""
    pids = set()
    for entry in os.listdir("/proc"):
        try:
            arguments = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.isdigit() and argument.encode() in arguments and running(int(entry)):
            pids.add(int(entry))
    return pids


def still_running(pids: set[int], within: float) -> set[int]:
    """Those of ``pids`` still running after waiting up to ``within`` seconds for all to end."""
    deadline = time.monotonic() + within
    while (alive := {pid for pid in pids if running(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def wait_for_file(path: Path, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.1)


def read_line(stream, within: float = 90) -> str:
    """The next line of a child's unbuffered binary ``stream``; fails after ``within`` seconds rather than hang."""
    ready, _, _ = select.select([stream], [], [], within)
    assert ready, f"no line within {within} s"
    return stream.readline().decode()


def traces(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("gradlab-engine-*.trace"))


@pytest.fixture
def sleep_argument(monkeypatch):
    """A unique argument for the `sleep` processes the data files start; any left are killed afterwards."""
    argument = f"1000.{uuid.uuid4().int % 10**9:09d}"
    monkeypatch.setenv("GRADLAB_TEST_SLEEP", argument)
    yield argument
    for pid in with_argument(argument):  # only on failure: ours, by their ids
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def leftovers():
    """A set to record the processes a test started; any still running are killed afterwards."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment with a private TMPDIR (and the repository importable)."""
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=str(REPO), **extra)
    return env


def gradlab(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradlab", *args], capture_output=True, text=True, env=env, timeout=timeout)


# -- tests --------------------------------------------------------------------
def test_check_leaves_no_process_of_user_code_and_no_pipe_held(tmp_path, sleep_argument):
    # Piping stdout and stderr: a `sleep` that kept either open would hang this run.
    result = gradlab("check", data("spawns_children.py"), env=environment(tmp_path), timeout=30)
    assert result.returncode == 0, result.stderr
    assert with_argument(sleep_argument) == set(), "the sleeps user code started outlived `gradlab check`"


def test_restart_and_close_kill_what_user_code_started(tmp_path, sleep_argument, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    source = Source(data("spawns_children.py"))
    with Engine(timeout=60) as engine:
        engine.request(LoadRequest(source))
        started = with_argument(sleep_argument)
        assert started and all(engine.pid in ancestors(pid) for pid in started)
        engine.restart()
        assert still_running(started, within=5) == set(), "restart left the user's processes"
        engine.request(CurvesRequest(source, points=5))
        started = with_argument(sleep_argument)
        assert started
    assert still_running(started, within=5) == set(), "close left the user's processes"
    assert traces(tmp_path) == []


def test_an_engine_outlives_the_thread_that_started_it():
    # Linux's parent-death signal follows the thread that forked, as a GUI worker thread would.
    engine = Engine(timeout=60)
    starter = threading.Thread(target=engine.request, args=(LoadRequest(Source(builtin("square.py"))),))
    starter.start()
    starter.join()
    pid = engine.pid
    time.sleep(0.3)
    try:
        assert engine.request(LoadRequest(Source(builtin("square.py")))).functions
        assert engine.pid == pid, "the engine died with the thread that started it"
    finally:
        engine.close()


@pytest.mark.parametrize("state", ["busy", "idle"])
def test_a_killed_owner_takes_its_engine_and_its_processes_along(tmp_path, sleep_argument, leftovers, state):
    # busy: the engine spins in forward; idle: it has answered, but user code left a non-daemon thread running.
    busy = tmp_path / "busy"
    function_file = data("spins_with_children.py" if state == "busy" else "idles_with_a_thread.py")
    owner = subprocess.Popen(
        [sys.executable, data("owns_an_engine.py"), function_file],
        env=environment(tmp_path, GRADLAB_TEST_BUSY=str(busy)),
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    leftovers.add(owner.pid)
    engine_pid = int(read_line(owner.stdout))
    if state == "busy":
        wait_for_file(busy)
    else:
        assert read_line(owner.stdout).strip() == "answered"
    tree = descendants(owner.pid)
    leftovers.update(tree)
    assert engine_pid in tree and with_argument(sleep_argument) <= tree
    owner.kill()
    owner.wait(5)
    assert still_running(tree, within=5) == set(), "processes outlived the engine's owner"
    assert traces(tmp_path) == []


WATCHED = """
import sys, threading, time
from gradlab.engine.tether import watch_parent
threading.Thread(target=watch_parent, args=(int(sys.argv[1]), sys.argv[2], False), daemon=True).start()
print("watching", flush=True)
time.sleep(600)
"""
PARENT = """
import os, subprocess, sys, time
print(subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid()), sys.argv[2]]).pid, flush=True)
time.sleep(600)
"""


def test_the_watcher_thread_fallback_ends_its_process_when_the_parent_dies(tmp_path, leftovers):
    trace = tmp_path / "gradlab-engine-watched.trace"
    trace.touch()
    command = [sys.executable, "-c", PARENT, WATCHED, str(trace)]
    parent = subprocess.Popen(command, env=environment(tmp_path), stdout=subprocess.PIPE, bufsize=0)
    leftovers.add(parent.pid)
    watched = int(read_line(parent.stdout))
    leftovers.add(watched)
    assert read_line(parent.stdout, within=30).strip() == "watching"
    parent.kill()
    parent.wait(5)
    assert still_running({watched}, within=5) == set()
    assert traces(tmp_path) == []


NEVER_CLOSED = "from gradlab.engine import Engine\nengine = Engine()\nengine.start()\n"
ENDINGS = {
    "run": (["-m", "gradlab", "check", builtin("square.py")], ""),
    "crash": (["-m", "gradlab", "check", data("aborts.py")], "the engine process died"),
    "restart": (["-m", "gradlab", "check", data("hangs.py"), "--timeout", "1"], "did not finish within 1 s"),
    "never closed": (["-c", NEVER_CLOSED], ""),
}


def test_no_trace_file_is_left_after_a_run_a_crash_a_restart_or_an_engine_never_closed(tmp_path):
    runs = {}
    for ending, (arguments, _) in ENDINGS.items():  # side by side, each with its own TMPDIR
        (folder := tmp_path / ending.replace(" ", "_")).mkdir()
        command = [sys.executable, *arguments]
        runs[ending] = (folder, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment(folder)))
    for ending, (folder, run) in runs.items():
        _, stderr = run.communicate(timeout=60)
        assert ENDINGS[ending][1] in stderr, ending
        assert traces(folder) == [], f"{ending} left a trace file"
