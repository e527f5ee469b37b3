"""Edit → plot latency of the window: from a run starting (after the debounce) to curves painted.

Usage: ``python -m benchmarks.plot_latency [--points 1001] [--edits 40]``

Each edit changes the Sigmoid's source (a constant in a comment), calls
``run_now`` — what the debounce timer calls — and waits for ``curves_shown``;
the plots are then repainted synchronously and the clock stops.  It prints the
median and 95th percentile, offscreen.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def measure(points: int, edits: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    from gradlab.gui.qt_setup import ensure_application

    app = ensure_application()
    from gradlab.gui.main_window import MainWindow

    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    done: list[float] = []
    window.curves_shown.connect(lambda _seconds: done.append(time.perf_counter()))

    def wait() -> None:
        deadline = time.monotonic() + 120
        while not done and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        if not done:
            raise RuntimeError("no plot within 120 s")

    wait()
    if window.plot_panel.points.value() != points:
        done.clear()
        window.plot_panel.points.setValue(points)  # runs at the new size
        wait()
    base = window.editor.toPlainText()
    samples = []
    for i in range(edits + 3):
        window.editor.set_text_silently(base + f"\n# edit {i}\n")
        done.clear()
        started = time.perf_counter()
        window.run_now()
        wait()
        window.plot_panel.splitter.repaint()
        elapsed = time.perf_counter() - started
        if i >= 3:  # warm-up runs are not counted
            samples.append(elapsed)
    window.close()
    samples.sort()
    return {
        "points": points,
        "edits": edits,
        "median_ms": round(statistics.median(samples) * 1e3, 1),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))] * 1e3, 1),
        "min_ms": round(samples[0] * 1e3, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1001)
    parser.add_argument("--edits", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(measure(args.points, args.edits)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
