"""The benchmark's method: warm-up first, interleaved rounds, a spread target, outliers measured again, a budget."""

from __future__ import annotations

import itertools
import time

import pytest
import torch

from gradlab.core import timing
from gradlab.core.benchmark import CUSTOM, run_benchmark
from gradlab.core.loading import load_function_file
from gradlab.core.timing import MIN_ROUNDS, StatementFailed, iqr, time_interleaved
from gradlab.model.progress import finish


def spin(seconds: float):
    """A statement that busy-waits ``seconds``: steady, unlike sleep."""

    def run():
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    return run


def logged(name: str, log: list, seconds: float = 20e-6):
    inner = spin(seconds)

    def run():
        log.append(name)
        inner()

    return run


def test_iqr_matches_the_interpolated_quartiles():
    assert iqr([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(2.0)
    assert iqr([7.0]) == 0.0


def test_every_implementation_runs_before_any_is_timed_and_rounds_rotate(monkeypatch):
    log: list[str] = []
    timed_order: list[str] = []
    real_call = timing._Block.__call__

    def tracking(self, number):
        timed_order.append(self.name)
        return real_call(self, number)

    statements = {name: logged(name, log) for name in ("a", "b", "c")}
    calls_before_first_round = {}
    monkeypatch.setattr(timing._Block, "__call__", tracking)
    original_calibrate = timing._Block.calibrate

    def calibrate(self, block_time):
        number = original_calibrate(self, block_time)
        calls_before_first_round[self.name] = log.count(self.name)
        timed_order.clear()  # what follows the last calibration: the warm blocks, then the rounds
        return number

    monkeypatch.setattr(timing._Block, "calibrate", calibrate)
    timings = time_interleaved(statements, threads=1, min_run_time=0.02)
    assert set(calls_before_first_round) == {"a", "b", "c"} and all(n > 0 for n in calls_before_first_round.values())
    # After calibration: one warm block each, then rounds whose first implementation rotates.
    assert timed_order[:3] == ["a", "b", "c"]  # one warm block each
    rounds = [timed_order[i : i + 3] for i in range(3, 3 + 3 * MIN_ROUNDS, 3)]
    assert [r[0] for r in rounds[:4]] == ["a", "b", "c", "a"], timed_order[:20]
    assert all(sorted(r) == ["a", "b", "c"] for r in rounds)
    assert all(len(t.times) >= MIN_ROUNDS for t in timings.values())


def test_a_steady_statement_settles_with_a_small_spread():
    """A block timer that reads 200 µs ± 1 %: the method stops once settled, well before its budget."""
    readings = itertools.cycle([198e-6, 200e-6, 202e-6])
    wait = spin(1e-3)  # each block takes 1 ms of wall time, whatever it reads

    def block_timer(statement, number):
        wait()
        return next(readings)

    started = time.perf_counter()
    timings = time_interleaved({"steady": spin(1e-6)}, threads=1, min_run_time=0.05, block_timer=block_timer)
    steady = timings["steady"]
    assert steady.settled, steady.times
    assert steady.median == pytest.approx(200e-6, rel=0.02)
    assert steady.iqr <= 0.05 * steady.median and steady.minimum <= steady.median
    assert time.perf_counter() - started < timing.BUDGET_FACTOR * 0.05  # stopped on the spread, not the budget


def test_an_outlier_round_is_measured_again():
    """A block timer whose 8th block (a timed round, after calibration and warm-up) reads 10× (a context switch): that round is measured again and the hiccup is gone."""
    count = {"blocks": 0}
    wait = spin(1e-3)

    def block_timer(statement, number):
        wait()
        count["blocks"] += 1
        return 1e-3 if count["blocks"] == 8 else 100e-6 * (1 + 0.001 * (count["blocks"] % 3))

    timings = time_interleaved({"hiccup": spin(1e-6)}, threads=1, min_run_time=0.02, block_timer=block_timer)
    result = timings["hiccup"]
    assert result.remeasured == 1
    assert max(result.times) < 1.01 * result.median, result.times


def test_a_statement_that_never_settles_stops_at_the_budget():
    state = {"n": 0}

    def erratic():
        state["n"] += 1
        end = time.perf_counter() + (50e-6 if (state["n"] // 7) % 2 else 200e-6)
        while time.perf_counter() < end:
            pass

    started = time.perf_counter()
    timings = time_interleaved({"erratic": erratic}, threads=1, min_run_time=0.02)
    elapsed = time.perf_counter() - started
    assert not timings["erratic"].settled
    assert elapsed < timing.BUDGET_FACTOR * 0.02 + 1.0


def test_a_failing_statement_is_named():
    def broken():
        raise RuntimeError("no")

    with pytest.raises(StatementFailed) as failed:
        time_interleaved({"fine": spin(1e-5), "broken": broken}, threads=1, min_run_time=0.01)
    assert failed.value.name == "broken" and isinstance(failed.value.__cause__, RuntimeError)


SOMETIMES_FAILING = '''
import torch
from torch.autograd import Function

calls = {"n": 0}


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def flaky(x):
    calls["n"] += 1
    if calls["n"] > 40:
        raise RuntimeError("flaky gave up")
    return x * x


def fixed_size_inputs(shape, dtype, device):
    return (torch.randn(3, 4, dtype=dtype, device=device),)


EXPLORE = {"Square": {"compare": {"flaky": flaky, "square": torch.square}}}
'''


def test_a_compare_entry_that_fails_mid_timing_is_marked_and_the_others_timed(tmp_path):
    path = tmp_path / "flaky.py"
    path.write_text(SOMETIMES_FAILING)
    spec = load_function_file(str(path)).functions[0]
    report = finish(run_benchmark(spec, sizes=(1000,), min_run_time=0.01), lambda step: None)
    by_name = {row.implementation: row for row in report.rows}
    assert "flaky gave up" in by_name["flaky"].error and by_name["flaky"].median_s is None
    for name in (CUSTOM, "square"):
        assert by_name[name].median_s is not None and by_name[name].rounds >= MIN_ROUNDS
        assert by_name[name].min_s <= by_name[name].median_s


def test_rows_carry_the_shape_timed_when_inputs_ignore_the_size(tmp_path):
    source = SOMETIMES_FAILING.replace('EXPLORE = {"Square": {"compare": {"flaky": flaky, "square": torch.square}}}', 'EXPLORE = {"Square": {"inputs": fixed_size_inputs}}')
    path = tmp_path / "fixed.py"
    path.write_text(source)
    spec = load_function_file(str(path)).functions[0]
    report = finish(run_benchmark(spec, sizes=((100, 100),), names=(CUSTOM,), min_run_time=0.01, dtype=torch.float32), lambda step: None)
    (row,) = report.rows
    assert row.dims == (3, 4) and row.size == 12 and row.requested == (100, 100)
    assert report.why and report.why[0].size == 12  # explained at what was timed


def test_a_busy_machine_is_named_when_more_threads_time_than_cores_are_free(monkeypatch):
    from gradlab.core import benchmark

    cores = __import__("os").cpu_count()
    monkeypatch.setattr(benchmark, "_other_runnable", lambda: cores)
    note = benchmark.busy_machine_note("cpu", 2)
    assert f"{cores} other runnable threads on {cores} cores" in note and "--threads 1" in note
    assert benchmark.busy_machine_note("cpu", 1) == "" and benchmark.busy_machine_note("cuda", 2) == ""
    monkeypatch.setattr(benchmark, "_other_runnable", lambda: 0)
    if cores >= 2:
        assert benchmark.busy_machine_note("cpu", 2) == ""
