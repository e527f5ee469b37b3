"""Issue 10: ``gradlab`` without a display says so and exits 2, instead of running invisibly forever."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from gradlab.gui.qt_setup import EXIT_NO_DISPLAY, display_problem, no_display_message

TIMEOUT_S = 60
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")  # tests/conftest.py sets the last one for us


def _no_display_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in DISPLAY_VARS:
        env.pop(name, None)
    return env


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=_no_display_env(), capture_output=True, text=True, timeout=TIMEOUT_S)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="macOS and Windows always have a display")
def test_app_without_display_exits_2_with_a_message():
    done = _run(["-m", "gradlab"])
    assert done.returncode == EXIT_NO_DISPLAY, done.stderr
    assert "no display found" in done.stderr
    assert "DISPLAY" in done.stderr and "WAYLAND_DISPLAY" in done.stderr
    assert "gradlab check" in done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in done.stderr
    assert done.stdout == ""


# Runs the real entry point, recording every process it starts and what it imported.
_PROBE = textwrap.dedent(
    """
    import json, multiprocessing.process, subprocess, sys

    started = []
    _start, _popen = multiprocessing.process.BaseProcess.start, subprocess.Popen.__init__

    def start(self):
        started.append(self.name)
        return _start(self)

    def popen(self, *args, **kwargs):
        started.append(repr(args[0] if args else kwargs.get("args")))
        return _popen(self, *args, **kwargs)

    multiprocessing.process.BaseProcess.start = start
    subprocess.Popen.__init__ = popen
    from gradlab.cli import main

    status = main([])
    app = None
    if "PySide6.QtWidgets" in sys.modules:
        app = sys.modules["PySide6.QtWidgets"].QApplication.instance()
    print(json.dumps({"status": status, "started": started, "torch": "torch" in sys.modules, "qapplication": app is not None}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="macOS and Windows always have a display")
def test_app_without_display_starts_neither_engine_nor_qt():
    done = _run(["-c", _PROBE])
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"status": EXIT_NO_DISPLAY, "started": [], "torch": False, "qapplication": False}


_ENSURE = textwrap.dedent(
    """
    import os
    from gradlab.gui.qt_setup import NoDisplayError, ensure_application

    try:
        ensure_application()
    except NoDisplayError as exc:
        print("raised:", str(exc).splitlines()[0])
    app = ensure_application(headless=True)  # figure export still works without a display
    print("headless:", app.platformName(), os.environ["QT_QPA_PLATFORM"])
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="macOS and Windows always have a display")
def test_ensure_application_no_longer_falls_back_to_offscreen():
    done = _run(["-c", _ENSURE])
    assert done.returncode == 0, done.stderr
    assert "raised: gradlab: no display found" in done.stdout
    assert "headless: offscreen offscreen" in done.stdout


@pytest.mark.parametrize("platform_name", ["offscreen", "offscreen:configfile=/tmp/s.json", "xcb", "wayland", "minimal", "vnc"])
def test_explicit_qt_platform_is_respected(platform_name):
    assert display_problem({"QT_QPA_PLATFORM": platform_name}, "linux") is None


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_macos_and_windows_are_not_checked(platform):
    assert display_problem({}, platform) is None


@pytest.mark.parametrize("platform", ["linux", "freebsd14"])
def test_no_display_variables(platform):
    problem = display_problem({"HOME": "/home/someone"}, platform)
    assert problem is not None and "DISPLAY" in problem and "WAYLAND_DISPLAY" in problem


def test_empty_variables_count_as_unset():
    assert display_problem({"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""}, "linux") is not None


def test_x_display_is_trusted():
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"DISPLAY": "remote:10.0", "WAYLAND_DISPLAY": "wayland-9"}, "linux") is None


def test_wayland_socket_must_exist(tmp_path):
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path)}
    problem = display_problem(env, "linux")
    assert problem is not None and str(tmp_path / "wayland-0") in problem
    (tmp_path / "wayland-0").touch()
    assert display_problem(env, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": str(tmp_path / "wayland-0")}, "linux") is None  # an absolute path
    assert display_problem({"WAYLAND_DISPLAY": str(tmp_path / "wayland-1")}, "linux") is not None


def test_message_tells_how_to_go_headless():
    message = no_display_message("no display found: neither DISPLAY nor WAYLAND_DISPLAY is set")
    assert message.startswith("gradlab: no display found")
    for command in ("gradlab check", "gradlab plot", "gradlab bench", "QT_QPA_PLATFORM=offscreen"):
        assert command in message
