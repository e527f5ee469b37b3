"""Fixtures that drive the real window."""

import shutil

import pytest
from PySide6.QtCore import QSettings

from gradlab.gui.autosave import AutosaveStore
from gradlab.gui.file_actions import FileActions
from gradlab.gui.main_window import MainWindow
from gradlab.gui.session import Session

FIRST_PLOT_MS = 90_000  # the engine imports torch first
PLOT_MS = 30_000
ASK_UNSAVED = FileActions.ask_unsaved
SHARED_TIMEOUT = 5.0


@pytest.fixture(autouse=True)
def fresh_settings_and_autosave():
    settings = QSettings("gradlab", "gradlab")
    settings.clear()
    settings.sync()
    shutil.rmtree(AutosaveStore().folder, ignore_errors=True)
    yield


@pytest.fixture(autouse=True)
def no_surprise_prompts(monkeypatch):
    """A modal unsaved-changes prompt would block a test forever: make an unexpected one fail it."""

    def unexpected(window):
        pytest.fail("unexpected unsaved-changes prompt")

    monkeypatch.setattr(FileActions, "ask_unsaved", unexpected)


@pytest.fixture(scope="session")
def shared_session(qapp):
    """One Session (two engine processes) for the windows of every test that needs no engine of its own.

    Starting an engine imports torch (seconds); the engines carry no state
    between requests, and a closing window cancels its own jobs.
    """
    session = Session(SHARED_TIMEOUT)
    yield session
    session.close()


@pytest.fixture
def make_window(qtbot, shared_session):
    """Build a MainWindow, show it, and wait for its first plot; closed without prompts afterwards.

    Windows share the test session's engines unless ``own_session=True`` or a
    ``request_timeout`` other than the shared one is asked for.
    """
    windows = []

    def make(own_session: bool = False, wait_for_plot: bool = True, **kwargs) -> MainWindow:
        if not own_session and kwargs.get("request_timeout", SHARED_TIMEOUT) == SHARED_TIMEOUT:
            kwargs["session"] = shared_session
        window = MainWindow(**kwargs)
        # pytest-qt closes widgets before fixtures finalise: drop unsaved changes first, so no prompt blocks
        qtbot.addWidget(window, before_close_func=_drop_unsaved)
        windows.append(window)
        window.show()
        if wait_for_plot and kwargs.get("open_default", True):
            with qtbot.waitSignal(window.curves_shown, timeout=FIRST_PLOT_MS):
                pass
        return window

    yield make
    for window in windows:
        _drop_unsaved(window)
        window.close()


def _drop_unsaved(window: MainWindow) -> None:
    """Make the window's text count as saved, so closing it asks nothing."""
    window.document.accept_as_saved()


@pytest.fixture
def window(make_window):
    return make_window(request_timeout=5.0)
