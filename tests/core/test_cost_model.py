"""The cost model: overhead + per-element fits, crossovers, the words, the copy bandwidth and bytes moved."""

from __future__ import annotations

import runpy

import pytest
import torch

from gradlab.core import bandwidth
from gradlab.core.bench_explain import explain
from gradlab.model.cost_model import crossovers, fit_costs, why_lines
from gradlab.model.results import BenchmarkReport, BenchmarkRow, BenchmarkWhy
from tests.helpers import builtin

SIZES = (100, 10_000, 1_000_000)


def rows(name: str, overhead: float, per_element: float, noise=(1.0, 1.0, 1.0)) -> list[BenchmarkRow]:
    return [BenchmarkRow(name, n, "both", "cpu", "float32", (overhead + per_element * n) * k, 0.0, 7, rounds=7) for n, k in zip(SIZES, noise)]


def why(name: str, bytes_per_element: float) -> BenchmarkWhy:
    return BenchmarkWhy(name, 1_000_000, 5, 3, 0, 0, 4_000_000, None, [], bytes_per_element)


def test_an_exact_line_is_recovered_with_its_bandwidth_share():
    model = fit_costs(rows("custom", 11e-6, 0.9e-9), [why("custom", 8.0)], copy_bandwidth=20e9, bandwidth_source="measured now")
    (fit,) = model.fits
    assert fit.overhead_s == pytest.approx(11e-6, rel=1e-6) and fit.per_element_s == pytest.approx(0.9e-9, rel=1e-6)
    assert fit.max_relative_error < 1e-6 and fit.sizes == 3
    assert fit.bandwidth_fraction == pytest.approx(8.0 / 0.9e-9 / 20e9)


def test_a_noisy_line_is_fitted_in_relative_error():
    (fit,) = fit_costs(rows("custom", 50e-6, 2e-9, noise=(1.08, 0.95, 1.04))).fits
    assert fit.overhead_s == pytest.approx(50e-6, rel=0.15) and fit.per_element_s == pytest.approx(2e-9, rel=0.1)
    assert 0.03 < fit.max_relative_error < 0.1


def test_a_negative_intercept_is_pinned_at_zero():
    data = [BenchmarkRow("x", n, "both", "cpu", "float32", t, 0.0, 7) for n, t in ((100, 1e-7), (10_000, 1.2e-5), (1_000_000, 1.1e-3))]
    (fit,) = fit_costs(data).fits
    assert fit.overhead_s >= 0 and fit.per_element_s > 0


def test_the_crossover_between_less_overhead_and_cheaper_elements_is_named():
    data = rows("custom Function", 10e-6, 4e-9) + rows("torch.sigmoid", 40e-6, 1e-9)
    model = fit_costs(data)
    (cross,) = model.crossovers
    assert cross.faster_below == "custom Function" and cross.faster_above == "torch.sigmoid"
    assert cross.elements == pytest.approx(10_000, rel=1e-6)
    # Lines that cross outside the sizes measured are not a change of ranking.
    assert crossovers(fit_costs(rows("a", 10e-6, 1e-9) + rows("b", 20e-6, 2e-9)).fits, rows("a", 10e-6, 1e-9)) == []


def test_why_lines_say_overhead_bandwidth_and_crossover_in_words():
    data = rows("custom Function", 11.2e-6, 0.9e-9) + rows("torch.sigmoid", 40e-6, 0.5e-9)
    whys = [why("custom Function", 72.0), why("torch.sigmoid", 20.0)]
    report = BenchmarkReport("Sigmoid", data, whys, {}, cost=fit_costs(data, whys, 100e9, "measured now"))
    lines = why_lines(report)
    first = lines[0]
    assert first.startswith("custom Function: 11.2 µs per call + 0.9 ns per element (fit within 0 % over 3 sizes)")
    assert "72 bytes moved per element at 80 % of this machine's copy bandwidth (100.0 GB/s, measured now)" in first
    assert "5 ops forward + 3 backward" in first and "1 ops" not in " ".join(lines)
    assert any(line.startswith("custom Function is faster below about 72,000 elements, torch.sigmoid above") for line in lines), lines
    assert lines[-1].startswith("At 100 elements (smallest size) overhead dominates")


def test_one_size_says_the_fit_needs_more():
    data = [BenchmarkRow("custom Function", 100, "both", "cpu", "float32", 1e-5, 0.0, 7)]
    lines = why_lines(BenchmarkReport("Sigmoid", data, [], {}, cost=fit_costs(data)))
    assert any("needs two or more sizes" in line and "--sizes 100,10000,1000000" in line for line in lines)


def test_copy_bandwidth_is_measured_once_then_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADLAB_CACHE_DIR", str(tmp_path))
    first, source = bandwidth.copy_bandwidth("cpu", 1)
    assert source == "measured now" and 1e8 < first < 1e12
    again, source = bandwidth.copy_bandwidth("cpu", 1)
    assert again == first and source.startswith("cached, measured ")
    (tmp_path / bandwidth.CACHE_FILE).write_text("{not json")
    value, source = bandwidth.copy_bandwidth("cpu", 1)
    assert source == "measured now" and value > 0


def test_the_naive_sigmoid_moves_more_bytes_than_the_built_in():
    sigmoid = runpy.run_path(builtin("sigmoid.py"))["Sigmoid"]
    x = torch.randn(10_000, requires_grad=True)
    moved = {
        name: explain(name, fn, (x,), 10_000, "cpu").bytes_per_element
        for name, fn in (("custom", sigmoid.apply), ("naive", lambda t: 1 / (1 + torch.exp(-t))), ("builtin", torch.sigmoid))
    }
    # torch.sigmoid: read x, write y (8 B); backward reads grad and y, writes the gradient (12 B).
    assert moved["builtin"] == pytest.approx(20.0)
    assert moved["naive"] > moved["custom"] > moved["builtin"]
