"""Fixtures that drive the real window."""

import shutil

import pytest
from PySide6.QtCore import QSettings

from gradlab.gui.autosave import AutosaveStore
from gradlab.gui.main_window import MainWindow

FIRST_PLOT_MS = 90_000  # the engine imports torch first
PLOT_MS = 30_000
ASK_UNSAVED = MainWindow.ask_unsaved


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

    monkeypatch.setattr(MainWindow, "ask_unsaved", unexpected)


@pytest.fixture
def make_window(qtbot):
    """Build a MainWindow, show it, and wait for its first plot; closed without prompts afterwards."""
    windows = []

    def make(**kwargs) -> MainWindow:
        window = MainWindow(**kwargs)
        # pytest-qt closes widgets before fixtures finalise: drop unsaved changes first, so no prompt blocks
        qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
        windows.append(window)
        window.show()
        if kwargs.get("open_default", True):
            with qtbot.waitSignal(window.curves_shown, timeout=FIRST_PLOT_MS):
                pass
        return window

    yield make
    for window in windows:
        window.editor.document().setModified(False)
        window.close()


@pytest.fixture
def window(make_window):
    return make_window(request_timeout=5.0)
