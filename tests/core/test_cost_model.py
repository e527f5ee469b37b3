"""The cost model: overhead + per-element fits, crossovers, the words, the copy bandwidth and bytes moved."""

from __future__ import annotations

import json
import runpy

import pytest
import torch

from gradlab.core import bandwidth
from gradlab.core.bench_explain import explain
from gradlab.core.cost import cost_model
from gradlab.model.cost_model import crossovers, fit_costs, why_lines
from gradlab.model.results import BenchmarkReport, BenchmarkRow, BenchmarkWhy
from tests.helpers import builtin

SIZES = (100, 10_000, 1_000_000)


def rows(name, overhead, per_element, noise=(1.0, 1.0, 1.0), mode="both", sizes=SIZES) -> list[BenchmarkRow]:
    return [
        BenchmarkRow(name, n, mode, "cpu", "float32", (overhead + per_element * n) * k, 0.0, 7, rounds=7) for n, k in zip(sizes, noise)
    ]


def why(name: str, bytes_per_element: float) -> BenchmarkWhy:
    return BenchmarkWhy(name, 1_000_000, 5, 3, 0, 0, 4_000_000, None, [], bytes_per_element)


def test_an_exact_line_is_recovered_with_its_bandwidth_share():
    model = fit_costs(rows("custom", 11e-6, 0.9e-9), [why("custom", 8.0)], copy_bandwidth=20e9, bandwidth_source="measured now")
    (fit,) = model.fits
    assert fit.overhead_s == pytest.approx(11e-6, rel=1e-6) and fit.per_element_s == pytest.approx(0.9e-9, rel=1e-6)
    assert fit.max_relative_error < 1e-6 and fit.sizes == 3
    assert fit.bandwidth_fraction == pytest.approx(8.0 / 0.9e-9 / 20e9)
    assert model.copy_bandwidth == 20e9 and model.bandwidth_source == "measured now"


def test_a_noisy_line_is_fitted_in_relative_error():
    (fit,) = fit_costs(rows("custom", 50e-6, 2e-9, noise=(1.08, 0.95, 1.04))).fits
    assert fit.overhead_s == pytest.approx(50e-6, rel=0.15) and fit.per_element_s == pytest.approx(2e-9, rel=0.1)
    assert 0.03 < fit.max_relative_error < 0.1


def test_a_negative_intercept_is_pinned_at_zero_and_untimed_cells_are_left_out():
    data = [BenchmarkRow("x", n, "both", "cpu", "float32", t, 0.0, 7) for n, t in ((100, 1e-7), (10_000, 1.2e-5), (1_000_000, 1.1e-3))]
    data.append(BenchmarkRow("x", 10**7, "both", "cpu", "float32", None, None, 0, error="differs"))
    data.append(BenchmarkRow("x", 10**8, "both", "cpu", "float32", float("nan"), None, 0))
    (fit,) = fit_costs(data).fits
    assert fit.overhead_s == 0 and fit.per_element_s > 0 and fit.sizes == 3


def test_only_the_profiled_mode_gets_a_bandwidth_fraction():
    # bytes_per_element counts one forward and one backward: it says nothing of a forward alone.
    data = rows("custom", 10e-6, 1e-9) + rows("custom", 5e-6, 0.4e-9, mode="forward")
    fits = {f.mode: f for f in fit_costs(data, [why("custom", 20.0)], 10e9, "measured now").fits}
    assert fits["both"].bandwidth_fraction == pytest.approx(2.0) and fits["forward"].bandwidth_fraction is None


def test_the_crossover_between_less_overhead_and_cheaper_elements_is_named():
    data = rows("custom Function", 10e-6, 4e-9) + rows("torch.sigmoid", 40e-6, 1e-9)
    (cross,) = fit_costs(data).crossovers
    assert cross.faster_below == "custom Function" and cross.faster_above == "torch.sigmoid" and cross.mode == "both"
    assert cross.elements == pytest.approx(10_000, rel=1e-6)


def test_crossings_outside_the_common_sizes_or_against_the_medians_are_not_named():
    # Lines crossing at 3,000,000 elements, beyond the largest size measured.
    assert fit_costs(rows("a", 10e-6, 2e-9) + rows("b", 3e-3, 1e-9)).crossovers == []
    # Within the range of all rows, but not of the sizes both were timed at.
    assert fit_costs(rows("a", 10e-6, 4e-9) + rows("b", 40e-6, 1e-9, sizes=(20_000, 1_000_000), noise=(1, 1))).crossovers == []
    # The fitted lines cross at 10,000, but the medians at 100 elements rank them the other way: noise, no crossing.
    data = rows("a", 10e-6, 4e-9, noise=(5.0, 1.0, 1.0)) + rows("b", 40e-6, 1e-9)
    fits = fit_costs(data).fits
    assert fits[0].overhead_s < fits[1].overhead_s and crossovers(fits, data) == []


def test_why_lines_say_overhead_bandwidth_and_crossover_in_words():
    data = rows("custom Function", 11.2e-6, 0.9e-9) + rows("torch.sigmoid", 40e-6, 0.5e-9)
    whys = [why("custom Function", 72.0), why("torch.sigmoid", 20.0)]
    report = BenchmarkReport("Sigmoid", data, whys, {}, cost=fit_costs(data, whys, 100e9, "measured now"))
    lines = why_lines(report)
    first = lines[0]
    assert first.startswith("custom Function: 11.2 µs per call + 0.9 ns per element (fit within 0 % over 3 sizes)")
    assert "72 bytes moved per element at 80 % of this machine's copy bandwidth (100.0 GB/s, measured now)" in first
    assert "5 ops forward + 3 backward" in first
    assert lines[1].startswith("torch.sigmoid: 40 µs per call + 0.5 ns per element") and "40 % of this machine's" in lines[1]
    assert lines[2] == "custom Function is faster below about 72,000 elements, torch.sigmoid above"
    assert lines[3] == (
        "At 100 elements both are overhead-bound, so the ranking there is the ranking of per-call overheads;"
        " at 1,000,000 elements custom Function is bandwidth-bound, torch.sigmoid is compute-bound."
    )
    text = " ".join(lines)
    assert " us " not in text and "1 ops" not in text and "1 op forward" not in text


def test_two_sizes_are_no_check_of_the_line_and_an_old_report_is_fitted_on_the_spot():
    data = rows("custom Function", 10e-6, 1e-9, sizes=(100, 1_000_000), noise=(1, 1))
    (line, verdict) = why_lines(BenchmarkReport("Sigmoid", data, [], {}))  # no cost: saved before the cost model
    assert line.startswith("custom Function: 10 µs per call + 1 ns per element (a line through 2 sizes: a third size would test it)")
    assert "copy bandwidth" not in line
    assert verdict.startswith("At 100 elements it is overhead-bound; at 1,000,000 elements it is bound by per-element work")


def test_several_modes_are_told_apart():
    data = rows("custom", 10e-6, 1e-9) + rows("custom", 5e-6, 0.4e-9, mode="forward")
    lines = why_lines(BenchmarkReport("F", data, [why("custom", 20.0)], {}))
    assert lines[0].startswith("custom (both): 10 µs per call") and "5 ops forward" in lines[0]
    assert lines[1].startswith("custom (forward): 5 µs per call") and "ops forward" not in lines[1]
    assert lines[-1].endswith("(forward).")


def test_one_size_says_the_fit_needs_more():
    data = [BenchmarkRow("custom Function", 100, "both", "cpu", "float32", 1e-5, 0.0, 7)]
    lines = why_lines(BenchmarkReport("Sigmoid", data, [why("custom Function", 72.0)], {}, cost=fit_costs(data)))
    assert lines[0].startswith("custom Function: 5 ops forward + 3 backward")
    assert any("needs two or more sizes" in line and "--sizes 100,10000,1000000" in line for line in lines)


def test_copy_bandwidth_is_measured_once_then_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADLAB_CACHE_DIR", str(tmp_path))
    first, source = bandwidth.copy_bandwidth("cpu", 1)
    assert source == "measured now" and 1e8 < first < 1e12
    again, source = bandwidth.copy_bandwidth("cpu", 1)
    assert again == first and source.startswith("cached, measured 20")
    # cost_model reads the cache under the run's thread count, and fits the rows against it.
    data = rows("custom", 10e-6, 1e-9) + rows("torch.sigmoid", 5e-6, 0.5e-9)
    model = cost_model(BenchmarkReport("S", data, [why("custom", 8.0)], {"threads": 1}), "cpu")
    assert model.copy_bandwidth == first and model.bandwidth_source.startswith("cached") and len(model.fits) == 2


def test_a_corrupt_or_unwritable_cache_only_means_measuring_again(tmp_path, monkeypatch):
    measured = []
    monkeypatch.setattr(bandwidth, "measure_copy_bandwidth", lambda device, threads: measured.append(threads) or 1e10)
    monkeypatch.setenv("GRADLAB_CACHE_DIR", str(tmp_path))
    for text in ("{not json", "[1, 2]", json.dumps({bandwidth._key("cpu", 1): {"bytes_per_second": -1, "date": "x"}})):
        (tmp_path / bandwidth.CACHE_FILE).write_text(text)
        assert bandwidth.copy_bandwidth("cpu", 1) == (1e10, "measured now")
    assert bandwidth.copy_bandwidth("cpu", 1)[1].startswith("cached")  # the corrupt file was replaced
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("GRADLAB_CACHE_DIR", str(tmp_path / "a file"))
    assert bandwidth.copy_bandwidth("cpu", 1) == (1e10, "measured now")
    assert bandwidth.copy_bandwidth("cpu", 1) == (1e10, "measured now")
    assert len(measured) == 5
    # One size only: nothing to fit, so nothing measured.
    cost_model(BenchmarkReport("S", rows("a", 1e-5, 1e-9)[:1], [], {"threads": 1}), "cpu")
    assert len(measured) == 5


def test_the_naive_sigmoid_moves_more_bytes_than_the_built_in():
    sigmoid = runpy.run_path(builtin("sigmoid.py"))["Sigmoid"]
    x = torch.randn(10_000, requires_grad=True)
    moved = {
        name: explain(name, fn, (x,), 10_000, "cpu").bytes_per_element
        for name, fn in (("custom", sigmoid.apply), ("naive", lambda t: 1 / (1 + torch.exp(-t))), ("builtin", torch.sigmoid))
    }
    # torch.sigmoid: read x, write y (8 B); backward reads grad and y, writes the gradient (12 B).
    assert moved["builtin"] == pytest.approx(20.0)
    # The tutorial's code: 5 elementwise passes forward (40 B), 3 (custom, 32 B) or 6 (naive, 60 B) backward.
    assert moved["custom"] == pytest.approx(72.0) and moved["naive"] == pytest.approx(100.0)


def test_views_and_no_op_conversions_move_nothing_and_real_copies_count():
    x = torch.randn(10_000, requires_grad=True)

    def moved(fn) -> float:
        return explain("f", fn, (x,), 10_000, "cpu").bytes_per_element

    views = moved(lambda t: torch.sigmoid(t.view(100, 100).reshape(-1).to(t.dtype).contiguous().flatten().unsqueeze(0).squeeze(0)))
    assert views == pytest.approx(20.0)
    # A transpose made contiguous copies once forward and once backward (read 4 B + write 4 B each).
    assert moved(lambda t: torch.sigmoid(t.view(100, 100).t().contiguous())) == pytest.approx(36.0)
    # A conversion to float64 copies; the sigmoid then moves 8-byte elements.
    assert moved(lambda t: torch.sigmoid(t.double())) > 2 * 20.0
    # A reduction reads without writing a tensor's worth.
    assert moved(lambda t: torch.sigmoid(t).sum()) == pytest.approx(24.0)
