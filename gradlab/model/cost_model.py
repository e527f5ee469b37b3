"""Why one implementation is faster: time = per-call overhead + elements × per-element cost.

Fitted per implementation and mode over a benchmark's size sweep.  The
overhead is what a call costs before it touches data (Python, the
``autograd.Function`` machinery, dispatch, kernel launches); the per-element
cost, with the bytes an implementation moves per element, gives the bandwidth
it reaches, stated against this machine's copy bandwidth.  Where two fitted
lines cross inside the measured sizes, the ranking changes: that size is named.
No torch here.
"""

from __future__ import annotations

import numpy as np

from gradlab.model.results import BenchmarkReport, BenchmarkRow, BenchmarkWhy, CostFit, CostModel, Crossover


def _fit_line(sizes: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """Least squares of ``t = a + b·n`` in relative error (weights 1/t), with a, b ≥ 0."""
    weights = 1.0 / times
    design = np.stack([np.ones_like(sizes), sizes], axis=1) * weights[:, None]
    target = times * weights
    (a, b), *_ = np.linalg.lstsq(design, target, rcond=None)
    if a >= 0 and b >= 0:
        return float(a), float(b)
    # One of them is pinned at 0: keep the better of the two one-parameter fits.
    only_b = float(np.sum(sizes * times * weights**2) / np.sum((sizes * weights) ** 2))
    only_a = float(np.sum(times * weights**2) / np.sum(weights**2))
    error_b = np.sum(((only_b * sizes - times) * weights) ** 2)
    error_a = np.sum(((only_a - times) * weights) ** 2)
    return (0.0, max(only_b, 0.0)) if error_b <= error_a else (max(only_a, 0.0), 0.0)


def fit_costs(
    rows: list[BenchmarkRow], whys: list[BenchmarkWhy] | None = None, copy_bandwidth: float | None = None, bandwidth_source: str = ""
) -> CostModel:
    """Fit overhead + per-element cost for each (implementation, mode) timed at two or more sizes, and find crossovers."""
    traffic = {why.implementation: why.bytes_per_element for why in whys or []}
    fits = []
    for key in dict.fromkeys((r.implementation, r.mode) for r in rows):
        timed = sorted({r.size: r.median_s for r in rows if (r.implementation, r.mode) == key and r.median_s}.items())
        if len(timed) < 2:
            continue
        sizes = np.array([float(n) for n, _ in timed])
        times = np.array([t for _, t in timed])
        overhead, per_element = _fit_line(sizes, times)
        predicted = overhead + per_element * sizes
        bytes_per_element = traffic.get(key[0])
        fraction = None
        if bytes_per_element and per_element > 0 and copy_bandwidth:
            fraction = bytes_per_element / per_element / copy_bandwidth
        fits.append(
            CostFit(
                implementation=key[0],
                mode=key[1],
                overhead_s=overhead,
                per_element_s=per_element,
                sizes=len(timed),
                max_relative_error=float(np.max(np.abs(predicted - times) / times)),
                bytes_per_element=bytes_per_element,
                bandwidth_fraction=fraction,
            )
        )
    return CostModel(fits, crossovers(fits, rows), copy_bandwidth, bandwidth_source)


def crossovers(fits: list[CostFit], rows: list[BenchmarkRow]) -> list[Crossover]:
    """Where two implementations' fitted lines cross within the sizes measured, per mode."""
    found = []
    for mode in dict.fromkeys(f.mode for f in fits):
        in_mode = [f for f in fits if f.mode == mode]
        measured = [r.size for r in rows if r.mode == mode and r.median_s]
        low, high = min(measured), max(measured)
        for i, first in enumerate(in_mode):
            for second in in_mode[i + 1 :]:
                slope = first.per_element_s - second.per_element_s
                if slope == 0:
                    continue
                elements = (second.overhead_s - first.overhead_s) / slope
                if not low < elements < high:
                    continue
                # Below the crossing, the one with less overhead wins.
                below, above = (first, second) if first.overhead_s < second.overhead_s else (second, first)
                found.append(Crossover(mode, below.implementation, above.implementation, elements))
    return found


def _time_text(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _elements(n: float) -> str:
    return f"{n:,.0f}" if n < 1e7 else f"{n:.3g}"


def fit_text(fit: CostFit, model: CostModel) -> str:
    """``"11.2 µs per call + 0.90 ns per element (fit within 4 % over 3 sizes) — 41 % of this machine's copy bandwidth"``."""
    text = (
        f"{_time_text(fit.overhead_s)} per call + {fit.per_element_s * 1e9:.3g} ns per element"
        f" (fit within {100 * fit.max_relative_error:.0f} % over {fit.sizes} sizes)"
    )
    if fit.bandwidth_fraction is not None and model.copy_bandwidth:
        text += (
            f" \u2014 {fit.bytes_per_element:.0f} bytes moved per element at {100 * fit.bandwidth_fraction:.0f} % of this machine's"
            f" copy bandwidth ({model.copy_bandwidth / 1e9:.1f} GB/s, {model.bandwidth_source})"
        )
        if fit.bandwidth_fraction > 1:
            text += " — above 100 %: at these sizes the data stays in cache, which a 64 MB copy leaves"
    return text


def work_text(why: BenchmarkWhy) -> str:
    """Ops, kernels and memory of one call: ``"5 ops forward + 3 backward, 0.04 MB saved for backward at 10,000 elements"``."""
    kernels = f" ({why.forward_kernels} + {why.backward_kernels} kernels)" if why.forward_kernels or why.backward_kernels else ""
    peak = f", peak {why.peak_bytes / 1e6:.1f} MB" if why.peak_bytes is not None else ""
    return (
        f"{_count(why.forward_ops, 'op')} forward + {why.backward_ops} backward{kernels}, "
        f"{why.saved_bytes / 1e6:.2f} MB saved for backward{peak} at {why.size:,} elements"
    )


def _verdict(model: CostModel, rows: list[BenchmarkRow]) -> str:
    """What dominates at the sizes measured: overhead or data."""
    if not model.fits:
        return ""
    largest = max(r.size for r in rows if r.median_s)
    smallest = min(r.size for r in rows if r.median_s)
    parts = []
    for size, where in ((smallest, "smallest"), (largest, "largest")):
        overhead_bound = [f.implementation for f in model.fits if f.overhead_s > f.per_element_s * size]
        share = "overhead" if len(overhead_bound) * 2 > len(model.fits) else "the per-element work"
        parts.append(f"at {_elements(size)} elements ({where} size) {share} dominates")
    return "; ".join(parts) + "."


def why_lines(report: BenchmarkReport) -> list[str]:
    """Plain-text lines explaining the report's times: the cost model per implementation, then crossovers."""
    model = report.cost or CostModel()
    timed_sizes = {r.size for r in report.rows if r.median_s}
    fits = {f.implementation: f for f in model.fits}
    whys = {w.implementation: w for w in report.why}
    lines = []
    for name in dict.fromkeys([r.implementation for r in report.rows]):
        parts = []
        if name in fits:
            parts.append(fit_text(fits[name], model))
        if name in whys:
            parts.append(work_text(whys[name]))
        if parts:
            lines.append(f"{name}: " + "; ".join(parts))
    if len(timed_sizes) < 2 and report.rows:
        lines.append("the cost model needs two or more sizes to separate per-call overhead from per-element cost (--sizes 100,10000,1000000)")
    for cross in model.crossovers:
        lines.append(
            f"{cross.faster_below} is faster below about {_elements(cross.elements)} elements, {cross.faster_above} above"
            + (f" ({cross.mode})" if len({f.mode for f in model.fits}) > 1 else "")
        )
    verdict = _verdict(model, report.rows)
    if verdict:
        lines.append(verdict[0].upper() + verdict[1:])
    return lines

