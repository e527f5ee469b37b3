"""The benchmark core: Timer-measured cells, equality before timing, the why, CUDA where there is one."""

import json

import pytest
import torch

from gradlab.core.benchmark import AUTOGRAD_OF_FORWARD, CUSTOM, run_benchmark
from gradlab.core.loading import load_function_file
from gradlab.model.bench_table import compare_tables
from gradlab.model.problems import UserCodeError
from gradlab.model.progress import finish
from gradlab.model.results import BenchmarkReport, BenchmarkRow, BenchmarkWhy
from tests.helpers import builtin, data

FAST = {"min_run_time": 0.02}


def bench(path, **kwargs):
    """The benchmark's progress steps, and its report."""
    spec = load_function_file(path).functions[0]
    steps = []
    report = finish(run_benchmark(spec, **{**FAST, **kwargs}), steps.append)
    return steps, report


def test_each_implementation_is_timed_per_size_and_rows_stream_before_the_report():
    steps, report = bench(builtin("sigmoid.py"), sizes=(100, 1000), modes=("both", "forward"))
    rows = [step.item for step in steps if isinstance(step.item, BenchmarkRow)]
    assert rows == report.rows and len(rows) == 2 * 2 * 3
    assert {r.implementation for r in rows} == {CUSTOM, AUTOGRAD_OF_FORWARD, "torch.sigmoid"}
    for row in rows:
        assert row.error == "" and row.median_s > 0 and row.iqr_s >= 0 and row.runs >= 1
        assert row.device == "cpu" and row.dtype == "float32"
    assert report.environment["torch"] == torch.__version__ and report.environment["threads"] >= 1


def test_progress_counts_cells_to_a_total_fixed_up_front_and_ends_exactly_there():
    steps, report = bench(builtin("sigmoid.py"), sizes=(100, 1000, (10, 10)), min_run_time=0.01)
    cells = [step for step in steps if isinstance(step.item, BenchmarkRow)]
    assert {step.total for step in steps} == {len(report.rows)} == {3 * 3}, "3 sizes × 3 implementations; explanations are not cells"
    assert [step.done for step in cells] == list(range(1, 10))
    explained = [step for step in steps if isinstance(step.item, BenchmarkWhy)]
    assert len(explained) == 3 and all(step.done == step.total for step in explained)
    assert steps[-1].done == steps[-1].total


def test_the_total_counts_only_the_implementations_chosen_and_able_to_run():
    loaded = load_function_file(data("sigmoid_versions.py"))
    spec, other, scale = loaded.functions
    steps = []
    others = {"SigmoidSavesInput.apply": other, "Scale.apply": scale}  # Scale takes two arguments: never timed
    names = (CUSTOM, "SigmoidSavesInput.apply", "Scale.apply")
    report = finish(run_benchmark(spec, sizes=(100, 1000), names=names, min_run_time=0.01, others=others), steps.append)
    assert len(report.rows) == 2 * 2 and {step.total for step in steps} == {4}
    assert max(step.done for step in steps) == 4


def test_the_why_explains_the_tutorials_ranking():
    _, report = bench(builtin("sigmoid.py"), sizes=(10_000,))
    why = {w.implementation: w for w in report.why}
    assert why["torch.sigmoid"].forward_ops == 1 and why["torch.sigmoid"].backward_ops == 1
    assert why[CUSTOM].backward_ops < why[AUTOGRAD_OF_FORWARD].backward_ops, "the hand-written backward is shorter"
    assert why[CUSTOM].saved_bytes == 10_000 * 4, "saves only its output"
    assert why[AUTOGRAD_OF_FORWARD].saved_bytes > why[CUSTOM].saved_bytes


def test_an_implementation_that_disagrees_is_reported_not_timed(tmp_path):
    source = open(builtin("sigmoid.py"), encoding="utf-8").read().replace('{"torch.sigmoid": torch.sigmoid}', '{"tanh": torch.tanh}')
    path = tmp_path / "mismatch.py"
    path.write_text(source, encoding="utf-8")
    _, report = bench(str(path), sizes=(100,))
    row = next(r for r in report.rows if r.implementation == "tanh")
    assert row.median_s is None and "differs from the custom Function" in row.error


def test_double_backward_is_refused_for_once_differentiable():
    _, report = bench(builtin("cube_once_differentiable.py"), sizes=(100,), modes=("double",))
    custom = next(r for r in report.rows if r.implementation == CUSTOM)
    assert custom.median_s is None and "double backward is not supported" in custom.error
    assert next(r for r in report.rows if r.implementation == AUTOGRAD_OF_FORWARD).median_s > 0


def test_reports_round_trip_through_json():
    _, report = bench(builtin("square.py"), sizes=(100,))
    again = BenchmarkReport.from_json(json.loads(json.dumps(report.to_json())))
    assert again == report


def test_the_compare_table_has_one_unit_and_marks_the_best():
    _, report = bench(builtin("sigmoid.py"), sizes=(100, 10_000))
    (table,) = compare_tables(report.rows)
    assert table.unit in ("µs", "ms") and table.sizes == [(100,), (10_000,)]
    text = table.render()
    assert text.count("*") == 2 and "torch.sigmoid" in text.splitlines()[0]


def test_a_size_can_be_a_shape_like_the_tutorials_100_by_100():
    _, report = bench(builtin("sigmoid.py"), sizes=((100, 100), 10_000))
    assert {(r.size, r.dims) for r in report.rows} == {(10_000, (100, 100)), (10_000, (10_000,))}
    assert all(r.error == "" and r.median_s > 0 for r in report.rows)
    (table,) = compare_tables(report.rows)
    assert table.sizes == [(10_000,), (100, 100)], "same element count, two rows"
    assert "100\u00d7100" in table.render()
    again = BenchmarkReport.from_json(json.loads(json.dumps(report.to_json())))
    assert again == report and again.rows[0].dims == (100, 100)


def test_an_unavailable_device_is_refused_with_what_is_available():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(UserCodeError) as info:
        bench(builtin("sigmoid.py"), sizes=(100,), device="cuda")
    assert "not available" in info.value.problem.message and "cpu" in info.value.problem.hint


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_cells_are_timed_and_peak_memory_is_measured():
    _, report = bench(builtin("sigmoid.py"), sizes=(1_000, 1_000_000), device="cuda")
    assert all(r.error == "" and r.median_s > 0 for r in report.rows)
    assert report.environment["device_name"]
    assert all(w.peak_bytes is not None and w.peak_bytes > 0 for w in report.why)
    assert all(w.forward_kernels > 0 for w in report.why)


def test_other_functions_with_the_same_arguments_are_timed_on_the_same_inputs():
    loaded = load_function_file(data("sigmoid_versions.py"))
    spec, other, scale = loaded.functions
    others = {"SigmoidSavesInput.apply": other, "Scale.apply": scale}
    report = finish(run_benchmark(spec, sizes=(1000,), min_run_time=0.02, others=others))
    timed = {r.implementation: r for r in report.rows}
    assert timed["SigmoidSavesInput.apply"].error == "" and timed["SigmoidSavesInput.apply"].median_s > 0
    assert "Scale.apply" not in timed
    assert any("Scale.apply takes 2 arguments" in note for note in report.notes)
    assert "SigmoidSavesInput.apply" in {w.implementation for w in report.why}


def test_another_function_that_computes_something_else_is_reported_not_timed():
    spec = load_function_file(data("sigmoid_versions.py")).functions[0]
    square = load_function_file(builtin("square.py")).functions[0]
    _, report = bench(data("sigmoid_versions.py"), sizes=(100,), others={"Square.apply (square.py)": square})
    (row,) = [r for r in report.rows if r.implementation == "Square.apply (square.py)"]
    assert row.median_s is None and "differs from the custom Function" in row.error
    assert spec.name == report.function


def test_a_size_the_function_cannot_take_is_reported_in_its_rows_and_the_others_still_run():
    _, report = bench(data("one_dimensional.py"), sizes=(100, (10, 10)))
    at = {r.dims: r for r in report.rows if r.implementation == CUSTOM}
    assert at[(100,)].error == "" and at[(100,)].median_s > 0
    assert at[(10, 10)].median_s is None and "fails at this size" in at[(10, 10)].error and "1D" in at[(10, 10)].error
    assert report.why, "explained at the largest size that ran"
