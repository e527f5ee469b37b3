"""Fixtures that drive the real window."""

import pytest
from PySide6.QtCore import QSettings

from gradlab.gui.main_window import MainWindow

FIRST_PLOT_MS = 90_000  # the engine imports torch first
PLOT_MS = 30_000


@pytest.fixture(autouse=True)
def fresh_settings():
    settings = QSettings()
    settings.clear()
    settings.sync()
    yield


@pytest.fixture
def make_window(qtbot):
    """Build a MainWindow, show it, and wait for its first plot."""

    def make(**kwargs) -> MainWindow:
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        window.show()
        if kwargs.get("open_default", True):
            with qtbot.waitSignal(window.curves_shown, timeout=FIRST_PLOT_MS):
                pass
        return window

    yield make


@pytest.fixture
def window(make_window):
    return make_window(request_timeout=5.0)
