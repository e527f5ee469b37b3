"""Instruction counts with valgrind's callgrind: repeatable, telling, and a clear message where valgrind is missing."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from gradlab.core.benchmark import AUTOGRAD_OF_FORWARD, CUSTOM, run_benchmark
from gradlab.core.instructions import Cell, Origin, _origin, add_instruction_counts, count_cells, valgrind_missing
from gradlab.core.loading import load_function_file
from gradlab.model.instruction_table import instruction_table
from gradlab.model.options import BenchOptions
from gradlab.model.progress import finish
from gradlab.model.results import BenchmarkReport, BenchmarkRow
from tests.helpers import builtin

MISSING = valgrind_missing()
needs_valgrind = pytest.mark.skipif(bool(MISSING), reason=MISSING or "valgrind is installed")
SIGMOID = builtin("sigmoid.py")
SHAPE = (100, 100)
NAMES = (CUSTOM, AUTOGRAD_OF_FORWARD, "torch.sigmoid")


@pytest.fixture(scope="module")
def two_runs():
    """The tutorial's three sigmoids at 100x100, "both", counted twice in two valgrind processes side by side.

    One run is a direct count, the other fills a real benchmark report, so
    both ways in are covered for the price of one (about 30 s on 2 cores).
    """
    spec = load_function_file(SIGMOID).functions[0]
    report = finish(run_benchmark(spec, sizes=(SHAPE,), modes=("both",), min_run_time=0.01), lambda _: None)
    options = BenchOptions(sizes=(SHAPE,), instructions=True)
    with ThreadPoolExecutor(2) as pool:
        direct = pool.submit(count_cells, Origin(SIGMOID, "Sigmoid"), [Cell(name, SHAPE, "both") for name in NAMES])
        filled = pool.submit(add_instruction_counts, report, spec, options)
        counts = dict(zip(NAMES, direct.result()))
        filled.result()
    return counts, report


@needs_valgrind
@pytest.mark.valgrind
def test_counts_repeat_within_one_percent_across_processes(two_runs):
    counts, report = two_runs
    again = {row.implementation: row.instructions for row in report.rows}
    assert set(again) == set(NAMES)
    for name in NAMES:
        assert counts[name] > 10_000
        assert abs(again[name] - counts[name]) <= 0.01 * counts[name], (name, counts[name], again[name])
    assert any(note.startswith("instructions: callgrind's count per call") for note in report.notes)


@needs_valgrind
@pytest.mark.valgrind
def test_the_naive_sigmoid_executes_more_instructions_than_torch_sigmoid(two_runs):
    counts, report = two_runs
    assert counts[AUTOGRAD_OF_FORWARD] > 1.2 * counts["torch.sigmoid"], counts
    table = instruction_table(report.rows)
    assert table.startswith("instructions per call, both (thousands)") and "100\u00d7100" in table
    assert "torch.sigmoid" in table.splitlines()[1] and "*" in table.splitlines()[2]  # the fewest marked


def test_without_valgrind_on_path_the_message_says_how_to_install_it(tmp_path):
    """Run with a PATH that holds ``which`` alone: torch's own check and gradlab's agree valgrind is missing."""
    if not shutil.which("which"):
        pytest.skip("no `which`, which torch's valgrind check runs")
    os.symlink(shutil.which("which"), tmp_path / "which")
    script = (
        "from torch.utils.benchmark import Timer\n"
        "from gradlab.core.instructions import valgrind_missing, count_instructions\n"
        "from gradlab.model.problems import UserCodeError\n"
        f"try:\n    count_instructions({SIGMOID!r}, 'Sigmoid', 'custom Function')\n"
        "except UserCodeError as exc:\n    print('gradlab:', exc.problem.kind, exc.problem.message)\n"
        "try:\n    Timer('pass').collect_callgrind()\n"
        "except OSError as exc:\n    print('torch:', exc)\n"
    )
    environment = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    if "not supported on this platform" in lines["torch"]:
        pytest.skip("PyTorch supports no valgrind on this platform: " + lines["gradlab"])
    assert lines["torch"] == "Missing: valgrind, callgrind_control, callgrind_annotate"
    assert lines["gradlab"].startswith(
        "options instruction counts need valgrind, which is not installed here "
        "(no valgrind, callgrind_control, callgrind_annotate on PATH): install it with `sudo apt-get install valgrind`"
    )
    assert "dnf install valgrind" in lines["gradlab"] and "conda-forge" in lines["gradlab"]


def test_without_valgrind_a_benchmark_keeps_its_times_and_gains_a_note(monkeypatch, tmp_path):
    spec = load_function_file(SIGMOID).functions[0]
    report = finish(run_benchmark(spec, sizes=(100,), modes=("forward",), min_run_time=0.01), lambda _: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    add_instruction_counts(report, spec, BenchOptions(sizes=(100,), modes=("forward",), instructions=True))
    assert all(row.instructions is None and row.median_s for row in report.rows)
    assert report.notes[-1] == valgrind_missing() != ""


def test_counts_are_made_on_the_cpu_only_and_only_when_asked():
    spec = load_function_file(SIGMOID).functions[0]
    row = BenchmarkRow(CUSTOM, 100, "both", "cuda:0", "float32", 1e-5, 0.0, 10)
    report = BenchmarkReport("Sigmoid", [row], [], {})
    add_instruction_counts(report, spec, BenchOptions(device="cuda:0", instructions=True))
    assert row.instructions is None and report.notes == [
        "instruction counts are made on the CPU only (callgrind does not see cuda:0 work); none made"
    ]
    report = BenchmarkReport("Sigmoid", [row], [], {})
    add_instruction_counts(report, spec, BenchOptions())
    assert report.notes == []


def test_the_counting_process_runs_the_text_that_was_loaded_not_the_disk(tmp_path):
    path = tmp_path / "edited.py"
    path.write_text(open(SIGMOID, encoding="utf-8").read(), encoding="utf-8")
    buffer = path.read_text(encoding="utf-8").replace("class Sigmoid(", "class Edited(")
    spec = load_function_file(str(path), buffer).functions[0]
    assert _origin(spec) == Origin(str(path), "Edited", buffer)


def test_the_table_gives_each_count_and_its_ratio_to_the_custom_function():
    rows = [
        BenchmarkRow(CUSTOM, 10_000, "both", "cpu", "float32", 1e-5, 0.0, 9, shape=SHAPE, instructions=400_000),
        BenchmarkRow("torch.sigmoid", 10_000, "both", "cpu", "float32", 1e-5, 0.0, 9, shape=SHAPE, instructions=200_000),
        BenchmarkRow("slow", 10_000, "both", "cpu", "float32", None, None, 0, shape=SHAPE, error="differs"),
    ]
    assert instruction_table(rows).splitlines() == [
        "instructions per call, both (thousands)",
        "   size  custom Function  torch.sigmoid",
        "100\u00d7100              400  200 (\u00d70.50) *",
    ]
    assert instruction_table(rows[2:]) == ""
