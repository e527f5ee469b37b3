"""gradlab's benchmark suite: start-up, plot latency, responsiveness, fidelity, restart, memory.

Usage: ``python -m benchmarks.run [--quick] [--json-only]``

Prints one JSON object, then a table of each figure against its target.  Each
figure is a median over several runs; where the machine's speed matters it is
also given as a ratio to a baseline measured in the same run.  ``--quick``
runs everything once with short measurements, to prove the suite works (CI
runs it that way and asserts no times).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from benchmarks import fidelity, plot_latency

WINDOW_SCRIPT = textwrap.dedent(
    """
    import time
    from gradlab.gui.qt_setup import ensure_application
    app = ensure_application(headless=True)
    from gradlab.gui.main_window import MainWindow
    window = MainWindow()
    shown = []
    window.curves_shown.connect(shown.append)
    window.show()
    window.repaint()  # drawn: the window is on screen, before any deferred work runs
    print("visible", flush=True)
    deadline = time.monotonic() + 120
    while not shown and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    print("plotted" if shown else "no plot", flush=True)
    window.close()
    """
)


def _env() -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["XDG_CONFIG_HOME"] = env["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="gradlab-bench-")
    return env


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=_env())
    return time.perf_counter() - started


def launch_times(repeats: int) -> dict:
    """Launch → window visible and → first plot, against bare PySide6 and torch imports."""
    visible, plotted, qt, torch_import = [], [], [], []
    for _ in range(repeats):
        qt.append(_wall([sys.executable, "-c", "import PySide6.QtWidgets"]))
        torch_import.append(_wall([sys.executable, "-c", "import torch"]))
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", WINDOW_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
        for line in child.stdout:
            if line.startswith("visible"):
                visible.append(time.perf_counter() - started)
            elif line.startswith("plotted"):
                plotted.append(time.perf_counter() - started)
        child.wait()
    med = statistics.median
    return {
        "window_visible_s": round(med(visible), 3),
        "import_pyside6_s": round(med(qt), 3),
        "first_plot_s": round(med(plotted), 3),
        "import_torch_s": round(med(torch_import), 3),
        "first_plot_over_torch_import": round(med(plotted) / med(torch_import), 2),
    }


def engine_restart(repeats: int) -> dict:
    """A killed engine → the next plot, against a bare torch import."""
    from gradlab.engine import CurvesRequest, Engine, EngineError, LoadRequest, Source
    from gradlab.model.builtins import default_example

    source = Source(str(default_example()))
    times, baseline = [], []
    with Engine(timeout=120) as engine:
        engine.request(LoadRequest(source))
        for _ in range(repeats):
            baseline.append(_wall([sys.executable, "-c", "import torch"]))
            os.kill(engine.pid, 9)
            started = time.perf_counter()
            try:
                engine.request(CurvesRequest(source))
            except EngineError:  # the request that finds the engine dead reports the crash; the restart is under way
                engine.request(CurvesRequest(source))
            times.append(time.perf_counter() - started)
    return {
        "engine_restart_s": round(statistics.median(times), 3),
        "engine_restart_over_torch_import": round(statistics.median(times) / statistics.median(baseline), 2),
    }


def _rss_mb(pid) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        return next(int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:"))


def in_window(edits: int, quick: bool) -> dict:
    """Stalls while a benchmark sweep and a slow gradcheck run, and memory idle and after edits."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="gradlab-bench-")
    from PySide6.QtCore import QTimer

    from gradlab.gui.qt_setup import ensure_application

    app = ensure_application()
    from gradlab.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    done: list = []
    window.curves_shown.connect(lambda _s: done.append("plot"))
    window.run_failed.connect(lambda _p: done.append("failed"))

    def wait(predicate, limit=300.0):
        deadline = time.monotonic() + limit
        while not predicate() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)

    wait(lambda: done)
    stall = {"last": time.perf_counter(), "longest": 0.0}

    def tick():
        now = time.perf_counter()
        stall["longest"] = max(stall["longest"], now - stall["last"])
        stall["last"] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(tick)

    def longest_stall_while(start, finished) -> float:
        stall["last"], stall["longest"] = time.perf_counter(), 0.0
        heartbeat.start()
        start()
        wait(finished)
        heartbeat.stop()
        return stall["longest"]

    engine_pid = window.session.engine().pid
    gui_idle, engine_idle = _rss_mb("self"), _rss_mb(engine_pid)
    base = window.editor.toPlainText()
    for i in range(edits):
        window.editor.set_text_silently(base + f"\n# edit {i}\n")
        done.clear()
        window.run_now()
        wait(lambda: done)
    engine_after = _rss_mb(engine_pid)
    gui_after = _rss_mb("self")
    window.bench_view.prepare_engine()  # as the window does by itself when idle after its first plot
    wait(lambda: window.session.engine("benchmark").info is not None, 60)
    panel = window.benchmark
    panel.sizes.setText("100, 10000" if quick else "100, 10000, 1000000")
    bench_stall = longest_stall_while(panel.run_button.click, lambda: panel.report is not None or panel.run_button.isEnabled())
    checks = window.gradcheck
    checks.shape.setText("30, 30" if quick else "100, 100")
    checks.check_boxes["gradgradcheck"].setChecked(False)
    check_stall = longest_stall_while(checks.run_button.click, lambda: checks.checks is not None or checks.run_button.isEnabled())

    result = {
        "stall_during_benchmark_ms": round(bench_stall * 1e3, 1),
        "stall_during_slow_gradcheck_ms": round(check_stall * 1e3, 1),
        "gui_rss_idle_mb": round(gui_idle, 1),
        "engine_rss_idle_mb": round(engine_idle, 1),
        "edits": edits,
        "gui_rss_growth_mb": round(gui_after - gui_idle, 1),
        "engine_rss_growth_mb": round(engine_after - engine_idle, 1),
    }
    window.document.accept_as_saved()  # quit without the unsaved-changes prompt
    window.close()
    return result


TARGETS = [
    ("window_visible_s", "window visible", "<= 0.8 s", lambda r: r["window_visible_s"] <= 0.8),
    ("first_plot_over_torch_import", "first plot / bare torch import", "<= 1.6", lambda r: r["first_plot_over_torch_import"] <= 1.6),
    ("keystroke_plot_1001_median_ms", "keystroke -> curves, 1,001 points, median", "<= 100 ms", lambda r: r["keystroke_plot_1001_median_ms"] <= 100),
    ("keystroke_plot_1001_p95_ms", "keystroke -> curves, 1,001 points, p95", "<= 150 ms", lambda r: r["keystroke_plot_1001_p95_ms"] <= 150),
    ("keystroke_plot_100001_median_ms", "keystroke -> curves, 100,001 points, median", "<= 250 ms", lambda r: r["keystroke_plot_100001_median_ms"] <= 250),
    ("stall_during_benchmark_ms", "longest stall, benchmark running", "<= 50 ms", lambda r: r["stall_during_benchmark_ms"] <= 50),
    ("stall_during_slow_gradcheck_ms", "longest stall, slow gradcheck running", "<= 50 ms", lambda r: r["stall_during_slow_gradcheck_ms"] <= 50),
    ("fidelity_worst_ratio", "benchmark fidelity, worst |ratio - 1|", "<= 0.10", lambda r: r["fidelity_worst_ratio"] <= 0.10),
    ("engine_restart_over_torch_import", "engine restart / bare torch import", "<= 2", lambda r: r["engine_restart_over_torch_import"] <= 2),
    ("engine_rss_growth_mb", "engine memory growth over the edits", "<= 30 MB", lambda r: r["engine_rss_growth_mb"] <= 30),
    ("gui_rss_growth_mb", "GUI memory growth over the edits", "<= 30 MB", lambda r: r["gui_rss_growth_mb"] <= 30),
]


def run(quick: bool) -> dict:
    repeats = 1 if quick else 3
    result: dict = {"quick": quick, "python": sys.version.split()[0]}
    fid = fidelity.measure(1 if quick else 9, 0.05 if quick else 0.3)  # first: nothing else in this process yet
    result["fidelity"] = fid
    result["fidelity_worst_ratio"] = round(max(abs(fid[k]["ratio"] - 1) for k in ("custom", "naive", "builtin")), 3)
    result["fidelity_noise_floor"] = round(max(abs(fid[k]["direct_again_ratio"] - 1) for k in ("custom", "naive", "builtin")), 3)
    result.update(launch_times(repeats))
    small = plot_latency.measure(1001, 10 if quick else 40)
    large = plot_latency.measure(100_001, 3 if quick else 15)
    result.update(
        keystroke_plot_1001_median_ms=small["median_ms"],
        keystroke_plot_1001_p95_ms=small["p95_ms"],
        run_plot_1001_median_ms=small["run_median_ms"],  # F5 -> curves: the same work without the keystroke's way in
        keystroke_plot_100001_median_ms=large["median_ms"],
        keystroke_plot_100001_p95_ms=large["p95_ms"],
        run_plot_100001_median_ms=large["run_median_ms"],
    )
    result.update(in_window(20 if quick else 200, quick))
    result.update(engine_restart(repeats))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="once each, short: proves the suite runs")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(args.quick)
    result["suite_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    if not args.json_only:
        print(f"\n{'figure':42} {'measured':>10}  {'target':>10}  met")
        for key, label, target, met in TARGETS:
            print(f"{label:42} {result[key]:>10}  {target:>10}  {'yes' if met(result) else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
