"""Take the README's transform-matrix screenshot: the Gradcheck tab's Transforms view after a run, offscreen.

Usage: ``python scripts/screenshot_transforms.py [OUT.png] [FILE]`` (default: the NumPy-backed custom op example)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _wait(app, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    return condition()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/transforms.png")
    path = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / "resources" / "functions" / "numpy_sin_op.py")
    screen = Path(tempfile.mkdtemp()) / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "shot", "x": 0, "y": 0, "width": 1500, "height": 950, "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    os.environ["XDG_CONFIG_HOME"] = str(screen.parent)
    from gradlab.gui.qt_setup import ensure_application

    app = ensure_application()
    from gradlab.gui.main_window import MainWindow

    window = MainWindow(open_default=False)
    shown: list = []
    window.curves_shown.connect(shown.append)
    window.open_file(path)
    window.resize(1500, 950)
    window.show()
    if not _wait(app, lambda: bool(shown), 120):
        return 1
    window.tabs.setCurrentWidget(window.gradcheck_tab)
    panel = window.gradcheck
    panel.check_boxes["transforms"].setChecked(True)
    finished: list = []
    window.session.job_finished.connect(finished.append)
    panel.run_button.click()
    if not _wait(app, lambda: any(v for v in panel.transform_verdicts().values()), 180):
        return 1
    panel.views.setCurrentIndex(panel.views.count() - 1)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.02)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    window.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
