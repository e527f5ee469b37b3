"""Regenerate every screenshot in README.md, offscreen, from the real window and the real command line.

Usage: ``python scripts/screenshots.py [OUT_DIR]`` (default ``docs/``)

Writes:

- ``screenshot.png``: the window on the built-in Sigmoid, Plots tab;
- ``failing_plots.png``: a Function whose backward is wrong (``tests/data/wrong_constant.py``):
  its f′ residual names the error;
- ``failing_gradcheck.png``: the same Function after Run gradcheck: the verdicts, the
  hint, the three Jacobians;
- ``benchmark.png``: the Benchmark tab after a short run of the Sigmoid at three sizes;
- ``transforms.png``: the Transforms view after a check of the NumPy-backed custom op;
- ``plot_failing.png``: ``gradlab plot tests/data/wrong_constant.py --out …``.

Each window shot is taken at 1500×950 with a fresh settings folder (the
default layout).  Exits 1 if any shot could not be taken.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAILING = str(ROOT / "tests" / "data" / "wrong_constant.py")
CUSTOM_OP = str(ROOT / "resources" / "functions" / "numpy_sin_op.py")
WIDTH, HEIGHT = 1500, 950


def _offscreen() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gradlab-shots-"))
    screen = folder / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "shot", "x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    os.environ["XDG_CONFIG_HOME"] = os.environ["XDG_DATA_HOME"] = str(folder)  # fresh settings: default layout


class Shooter:
    """One window, driven the way a user would, and saved as it looks."""

    def __init__(self, out: Path) -> None:
        from gradlab.gui.qt_setup import ensure_application

        self.app = ensure_application()
        from gradlab.gui.main_window import MainWindow

        self.out = out
        self.window = MainWindow(open_default=False)
        self.window.resize(WIDTH, HEIGHT)
        self.window.show()
        self.finished: list = []
        self.shown: list = []
        self.window.curves_shown.connect(self.shown.append)
        self.window.session.job_finished.connect(self.finished.append)

    def wait(self, condition, seconds: float = 120) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            self.app.processEvents()
            time.sleep(0.01)
        return condition()

    def settle(self) -> None:
        for _ in range(30):
            self.app.processEvents()
            time.sleep(0.02)

    def open(self, path: str) -> bool:
        window = self.window
        self.shown.clear()
        window.open_file(path)
        return self.wait(lambda: bool(self.shown) and window.plot_panel.stamp.text().startswith(f"curves of {os.path.basename(path)}"))

    def shoot(self, name: str) -> Path:
        self.settle()
        path = self.out / name
        self.window.grab().save(str(path))
        print(path)
        return path

    def run_and_wait(self, button, done) -> bool:
        self.finished.clear()
        button.click()
        return self.wait(done, 300)

    def close(self) -> None:
        self.window.document.accept_as_saved()
        self.window.close()


def window_shots(out: Path) -> bool:
    from gradlab.model.builtins import builtin_functions_dir
    from gradlab.model.requests import BenchRequest, CheckRequest
    from gradlab.model.results import FunctionChecks

    def builtin(name: str) -> str:
        return str(builtin_functions_dir() / name)

    shooter = Shooter(out)
    window = shooter.window
    ok = shooter.open(builtin("sigmoid.py"))
    ok = ok and bool(shooter.shoot("screenshot.png"))

    ok = ok and shooter.open(FAILING)
    ok = ok and bool(shooter.shoot("failing_plots.png"))
    window.tabs.setCurrentWidget(window.gradcheck_tab)
    checked = shooter.run_and_wait(window.gradcheck.run_button, lambda: any(isinstance(j.request, CheckRequest) and isinstance(j.answer, FunctionChecks) for j in shooter.finished))
    ok = ok and checked and bool(shooter.shoot("failing_gradcheck.png"))

    ok = ok and shooter.open(builtin("sigmoid.py"))
    window.tabs.setCurrentWidget(window.benchmark_tab)
    shooter.settle()
    window.benchmark.sizes.setText("100, 10000, 1000000")
    benched = shooter.run_and_wait(window.benchmark.run_button, lambda: any(isinstance(j.request, BenchRequest) and j.is_finished for j in shooter.finished))
    ok = ok and benched and bool(shooter.shoot("benchmark.png"))

    ok = ok and shooter.open(CUSTOM_OP)
    window.tabs.setCurrentWidget(window.gradcheck_tab)
    panel = window.gradcheck
    panel.check_boxes["transforms"].setChecked(True)
    transformed = shooter.run_and_wait(panel.run_button, lambda: any(v for v in panel.transform_verdicts().values()))
    panel.views.setCurrentIndex(panel.views.count() - 1)
    ok = ok and transformed and bool(shooter.shoot("transforms.png"))
    shooter.close()
    return ok


def cli_shot(out: Path) -> bool:
    path = out / "plot_failing.png"
    result = subprocess.run([sys.executable, "-m", "gradlab", "plot", FAILING, "--out", str(path)], capture_output=True, text=True, env=dict(os.environ))
    print(path if result.returncode == 0 else result.stderr, file=sys.stdout if result.returncode == 0 else sys.stderr)
    return result.returncode == 0


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs")
    out.mkdir(parents=True, exist_ok=True)
    _offscreen()
    ok = window_shots(out)
    ok = cli_shot(out) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
