"""Create the one QApplication, offscreen when there is no display."""

from __future__ import annotations

import os
import sys


def ensure_application(headless: bool = False):
    """Return the running QApplication, creating it (offscreen if asked or no display)."""
    if headless or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("gradlab")
        app.setOrganizationName("gradlab")
    return app
