"""The benchmark suite runs (quick mode); its figures are reported, not asserted: benchmarks are not timed tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
@pytest.mark.slow
def test_the_suite_runs_in_quick_mode_and_reports_every_figure():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=540, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[0])
    for key in (
        "window_visible_s",
        "first_plot_over_torch_import",
        "keystroke_plot_1001_median_ms",
        "keystroke_plot_100001_median_ms",
        "run_plot_1001_median_ms",
        "stall_during_benchmark_ms",
        "stall_during_slow_gradcheck_ms",
        "fidelity_worst_ratio",
        "engine_restart_over_torch_import",
        "engine_rss_growth_mb",
        "gui_rss_growth_mb",
    ):
        assert isinstance(report[key], (int, float)) and report[key] >= 0, key
    assert "met" in result.stdout  # the table of figures against targets
