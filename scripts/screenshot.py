"""Take the README's screenshot: the window on the built-in Sigmoid, offscreen.

Usage: ``python scripts/screenshot.py [OUT.png] [FILE]``
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")
    screen = Path(tempfile.mkdtemp()) / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "shot", "x": 0, "y": 0, "width": 1500, "height": 950, "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    os.environ["XDG_CONFIG_HOME"] = str(screen.parent)  # fresh settings: default layout
    from gradlab.gui.qt_setup import ensure_application

    app = ensure_application()
    from gradlab.gui.main_window import MainWindow

    window = MainWindow(open_default=len(sys.argv) <= 2)
    shown: list[float] = []
    window.curves_shown.connect(shown.append)
    if len(sys.argv) > 2:
        window.open_file(sys.argv[2])
    window.resize(1500, 950)
    window.show()
    deadline = time.monotonic() + 120
    while not shown and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    window.close()
    print(out)
    return 0 if shown else 1


if __name__ == "__main__":
    sys.exit(main())
