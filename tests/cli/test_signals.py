"""Signals to `gradlab check` and to the window: they stop the engine and everything it started, then exit 128 + N."""

import signal
import subprocess
import sys

import pytest

from tests.engine import test_lifetime
from tests.engine.test_lifetime import descendants, environment, still_running, traces, wait_for_file, with_argument
from tests.helpers import data

sleep_argument = test_lifetime.sleep_argument  # fixtures
leftovers = test_lifetime.leftovers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def busy_tree(process: subprocess.Popen, busy, leftovers: set[int]) -> set[int]:
    """Once the engine spins in user code: every process below ``process``, recorded for clean-up."""
    wait_for_file(busy)
    tree = descendants(process.pid)
    leftovers.update(tree | {process.pid})
    return tree


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_check_and_all_its_engine_started(tmp_path, sleep_argument, leftovers, signum, status):
    busy = tmp_path / "busy"
    cli = subprocess.Popen(
        [sys.executable, "-m", "gradlab", "check", data("spins_with_children.py"), "--timeout", "60"],
        env=environment(tmp_path, GRADLAB_TEST_BUSY=str(busy)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree = busy_tree(cli, busy, leftovers)
    sleeps = with_argument(sleep_argument)
    assert len(tree) >= 3 and sleeps <= tree, "the engine, and the sleeps its user code started"
    cli.send_signal(signum)
    _, stderr = cli.communicate(timeout=10)
    assert cli.returncode == status
    assert f"interrupted by {signal.Signals(signum).name}" in stderr.strip().splitlines()[-1] and "Traceback" not in stderr
    assert still_running(tree, within=5) == set(), "processes outlived `gradlab check`"
    assert traces(tmp_path) == []


def test_sigterm_closes_the_window_and_stops_its_busy_engine(tmp_path, sleep_argument, leftovers):
    busy = tmp_path / "busy"
    settings = str(tmp_path / "settings")  # Qt's settings and the autosave, away from the user's
    qt = {"QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": settings, "XDG_DATA_HOME": settings}
    env = environment(tmp_path, GRADLAB_TEST_BUSY=str(busy), **qt)
    window = subprocess.Popen(
        [sys.executable, "-m", "gradlab", data("spins_with_children.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tree = busy_tree(window, busy, leftovers)
    assert with_argument(sleep_argument) <= tree
    window.send_signal(signal.SIGTERM)
    assert window.wait(10) == 143
    assert still_running(tree, within=5) == set(), "processes outlived the window"
    assert traces(tmp_path) == []
