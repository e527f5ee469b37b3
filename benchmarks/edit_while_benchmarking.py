"""Edit → plot latency while the Benchmark tab runs a sweep (issue 11), in the real window, offscreen.

Usage: ``python -m benchmarks.edit_while_benchmarking``.  Prints the median and worst latency in
ms of 15 edits made while a sweep of 1e6- and 1e7-element cells runs in the benchmark engine.
"""

import os
import statistics
import tempfile
import time


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="gradlab-bench-")
    from gradlab.gui.qt_setup import ensure_application

    app = ensure_application(headless=True)
    from gradlab.gui import MainWindow

    window = MainWindow()
    window.show()
    shown: list = []
    window.curves_shown.connect(shown.append)

    def wait(predicate, limit=120.0):
        deadline = time.monotonic() + limit
        while not predicate() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)

    wait(lambda: shown)
    window.bench_view.prepare_engine()
    wait(lambda: window.session.engine("benchmark").info is not None)
    panel = window.benchmark
    panel.sizes.setText("1000000, 10000000, 1000000, 10000000")
    panel.run_button.click()
    wait(lambda: panel.rows, 60)
    base, latencies = window.editor.toPlainText(), []
    for i in range(15):
        shown.clear()
        started = time.perf_counter()
        window.editor.set_text_silently(base + f"\n# edit {i}\n")
        window.run_now()
        wait(lambda: shown, 30)
        latencies.append((time.perf_counter() - started) * 1e3)
    running = panel.report is None
    panel.cancel_button.click()
    window.document.accept_as_saved()
    window.close()
    print(f"while benchmarking: edit -> plot median {statistics.median(latencies):.0f} ms, worst {max(latencies):.0f} ms"
          f" over {len(latencies)} edits; benchmark still running at the end: {running}")


if __name__ == "__main__":
    main()
