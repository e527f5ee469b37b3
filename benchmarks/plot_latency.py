"""Keystroke → curves latency of the window, and run → curves for comparison.

Usage: ``python -m benchmarks.plot_latency [--points 1001] [--edits 40]``

The user's path: a key is typed into the editor (``QTest.keyClick``, a real
key event through the editor, the document and the file runner) at the end of
a comment, and the clock runs until the curves of *that* revision are on
screen and the plots have repainted.  Between keystrokes the window idles
50 ms, as between a typist's keys.  ``run_ms`` times ``run_now`` (F5) to the
same point: the work without the way in.  Offscreen; medians and 95th
percentiles.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def _summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples) * 1e3, 1),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))] * 1e3, 1),
        "min_ms": round(samples[0] * 1e3, 1),
    }


def measure(points: int, edits: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    from gradlab.gui.qt_setup import ensure_application

    app = ensure_application()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest

    from gradlab.gui.main_window import MainWindow

    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    shown: list[tuple[float, int]] = []  # (time, revision) of each curves shown
    window.curves_shown.connect(lambda _seconds: shown.append((time.perf_counter(), window.curves_view.shown_revision)))

    def wait_for(revision: int) -> float:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(shown_revision >= revision for _at, shown_revision in shown):
                window.plot_panel.splitter.repaint()  # painted, not only handed to the plots
                return time.perf_counter()
            app.processEvents()
            time.sleep(0.0005)
        raise RuntimeError(f"no curves of revision {revision} within 120 s (shown: {shown})")

    def idle(seconds: float) -> None:
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.001)

    wait_for(window.document.revision)
    if window.plot_panel.points.value() != points:
        shown.clear()
        window.plot_panel.points.setValue(points)  # runs at the new size
        wait_for(window.document.revision)
    window.editor.set_text_silently(window.editor.toPlainText() + "\n# typed: ")
    window.run_now()
    wait_for(window.document.revision)
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    keystrokes, runs = [], []
    for i in range(edits + 3):
        idle(0.05)
        shown.clear()
        started = time.perf_counter()
        QTest.keyClick(window.editor, Qt.Key.Key_A if i % 2 else Qt.Key.Key_B)
        elapsed = wait_for(window.document.revision) - started
        if i >= 3:  # warm-up keystrokes are not counted
            keystrokes.append(elapsed)
    for i in range(edits + 3):
        idle(0.05)
        shown.clear()
        started = time.perf_counter()
        window.run_now()
        elapsed = wait_for(window.document.revision) - started
        if i >= 3:
            runs.append(elapsed)
    window.files.keep_unsaved()  # close without asking (the typing lives on in the temporary autosave)
    window.close()
    result = {"points": points, "edits": edits, **_summary(keystrokes)}
    result["run_median_ms"] = _summary(runs)["median_ms"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1001)
    parser.add_argument("--edits", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(measure(args.points, args.edits)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
