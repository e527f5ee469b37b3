"""Why one implementation is faster: time = per-call overhead + elements × per-element cost.

Fitted per implementation and mode over a benchmark's size sweep.  The
overhead is what a call costs before it touches data (Python, the
``autograd.Function`` machinery, dispatch, kernel launches); the per-element
cost, with the bytes an implementation moves per element, gives the bandwidth
it reaches, stated against this machine's copy bandwidth.  Where two fitted
lines cross inside the sizes both were measured at, and the measured medians
agree that the ranking changes there, that size is named.  No torch here.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.model.results import BenchmarkReport, BenchmarkRow, BenchmarkWhy, CostFit, CostModel, Crossover

#: The mode whose work ``BenchmarkWhy.bytes_per_element`` profiles (one forward and one backward):
#: other modes' fits get no bandwidth fraction.
PROFILED_MODE = "both"
#: Below this share of the copy bandwidth, per-element work is called compute-bound, at or above it bandwidth-bound.
BANDWIDTH_BOUND = 0.5


def _timed(rows: list[BenchmarkRow]) -> dict[tuple[str, str], dict[int, float]]:
    """{(implementation, mode): {size: median seconds}} of the cells timed with a finite, positive median."""
    timed: dict[tuple[str, str], dict[int, float]] = {}
    for r in rows:
        if r.median_s is not None and math.isfinite(r.median_s) and r.median_s > 0:
            timed.setdefault((r.implementation, r.mode), {})[r.size] = r.median_s
    return timed


def fittable(rows: list[BenchmarkRow]) -> bool:
    """True when some implementation was timed at two or more sizes in a mode."""
    return any(len(sizes) >= 2 for sizes in _timed(rows).values())


def _fit_line(sizes: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """Least squares of ``t = a + b·n`` in relative error (weights 1/t), with a, b ≥ 0."""
    weights = 1.0 / times
    design = np.stack([np.ones_like(sizes), sizes], axis=1) * weights[:, None]
    target = times * weights
    (a, b), *_ = np.linalg.lstsq(design, target, rcond=None)
    if a >= 0 and b >= 0:
        return float(a), float(b)
    # The constrained optimum lies on an edge: keep the better of the two one-parameter fits.
    only_b = float(np.sum(sizes * times * weights**2) / np.sum((sizes * weights) ** 2))
    only_a = float(np.sum(times * weights**2) / np.sum(weights**2))
    error_b = np.sum(((only_b * sizes - times) * weights) ** 2)
    error_a = np.sum(((only_a - times) * weights) ** 2)
    return (0.0, only_b) if error_b <= error_a else (only_a, 0.0)


def fit_costs(
    rows: list[BenchmarkRow], whys: list[BenchmarkWhy] | None = None, copy_bandwidth: float | None = None, bandwidth_source: str = ""
) -> CostModel:
    """Fit overhead + per-element cost for each (implementation, mode) timed at two or more sizes, and find crossovers.

    Parameters
    ----------
    rows : list of BenchmarkRow
        The timed cells; refused or failed ones (no median) are left out.
    whys : list of BenchmarkWhy, optional
        Their ``bytes_per_element`` gives each fit of mode ``"both"`` its
        ``bandwidth_fraction``: bytes per element / seconds per element /
        ``copy_bandwidth``.
    copy_bandwidth : float, optional
        Bytes per second (read + write) of a large copy on the rows' device.
    bandwidth_source : str
        How it was obtained: ``"measured now"``, ``"cached, measured 2026-11-28"``.
    """
    traffic = {why.implementation: why.bytes_per_element for why in whys or []}
    fits = []
    for (name, mode), by_size in _timed(rows).items():
        if len(by_size) < 2:
            continue
        sizes = np.array(sorted(by_size), dtype=float)
        times = np.array([by_size[n] for n in sorted(by_size)])
        overhead, per_element = _fit_line(sizes, times)
        predicted = overhead + per_element * sizes
        bytes_per_element = traffic.get(name)
        fraction = None
        if mode == PROFILED_MODE and bytes_per_element and per_element > 0 and copy_bandwidth:
            fraction = bytes_per_element / per_element / copy_bandwidth
        fits.append(
            CostFit(
                implementation=name,
                mode=mode,
                overhead_s=overhead,
                per_element_s=per_element,
                sizes=len(by_size),
                max_relative_error=float(np.max(np.abs(predicted - times) / times)),
                bytes_per_element=bytes_per_element,
                bandwidth_fraction=fraction,
            )
        )
    return CostModel(fits, crossovers(fits, rows), copy_bandwidth, bandwidth_source)


def crossovers(fits: list[CostFit], rows: list[BenchmarkRow]) -> list[Crossover]:
    """Where two implementations' fitted lines cross, per mode, smallest first.

    A crossing is reported only where the ranking really changes within the
    measurements: strictly between the smallest and largest size *both* were
    timed at, and with the medians at those two sizes ranked as the lines
    are.  A crossing outside that range is an extrapolation, and one the
    medians contradict is the fit's noise: neither is named.
    """
    timed = _timed(rows)
    found = []
    for i, first in enumerate(fits):
        for second in fits[i + 1 :]:
            if first.mode != second.mode or first.per_element_s == second.per_element_s:
                continue
            elements = (second.overhead_s - first.overhead_s) / (first.per_element_s - second.per_element_s)
            a, b = timed.get((first.implementation, first.mode), {}), timed.get((second.implementation, second.mode), {})
            common = sorted(set(a) & set(b))
            if len(common) < 2 or not common[0] < elements < common[-1]:
                continue
            # Below the crossing, the one with less overhead wins.
            below, above = (a, b) if first.overhead_s < second.overhead_s else (b, a)
            if not (below[common[0]] < above[common[0]] and above[common[-1]] < below[common[-1]]):
                continue
            names = (first, second) if below is a else (second, first)
            found.append(Crossover(first.mode, names[0].implementation, names[1].implementation, float(elements)))
    return sorted(found, key=lambda c: (c.mode, c.elements))


# -- words ------------------------------------------------------------------
def _time_text(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _elements(n: float) -> str:
    return f"{n:,.0f}"


def _about(n: float) -> str:
    """``n`` to two significant figures: a crossing's place is no more precise than that."""
    return _elements(float(f"{n:.2g}"))


def fit_text(fit: CostFit, model: CostModel) -> str:
    """``"11.2 µs per call + 0.9 ns per element (fit within 4 % over 3 sizes) — 72 bytes moved per element at 41 % of …"``."""
    quality = (
        f"fit within {100 * fit.max_relative_error:.0f} % over {fit.sizes} sizes"
        if fit.sizes > 2
        else "a line through 2 sizes: a third size would test it"
    )
    text = f"{_time_text(fit.overhead_s)} per call + {_time_text(fit.per_element_s)} per element ({quality})"
    if fit.bandwidth_fraction is not None and model.copy_bandwidth:
        text += (
            f" \u2014 {fit.bytes_per_element:.3g} bytes moved per element at {100 * fit.bandwidth_fraction:.0f} % of this machine's"
            f" copy bandwidth ({model.copy_bandwidth / 1e9:.1f} GB/s, {model.bandwidth_source})"
        )
        if fit.bandwidth_fraction > 1.1:
            text += " \u2014 over 100 %: at the sizes measured the data stays in cache, while the copy measured main memory"
    return text


def work_text(why: BenchmarkWhy) -> str:
    """Ops, kernels and memory of one call: ``"5 ops forward + 3 backward, 0.04 MB saved for backward at 10,000 elements"``."""
    kernels = f" ({why.forward_kernels} + {why.backward_kernels} kernels)" if why.forward_kernels or why.backward_kernels else ""
    peak = f", peak {why.peak_bytes / 1e6:.1f} MB" if why.peak_bytes is not None else ""
    return (
        f"{_count(why.forward_ops, 'op')} forward + {why.backward_ops} backward{kernels}, "
        f"{why.saved_bytes / 1e6:.2f} MB saved for backward{peak} at {why.size:,} elements"
    )


def _bound(fit: CostFit, elements: int) -> str:
    """What most of a call's time goes to at ``elements``."""
    if fit.overhead_s >= fit.per_element_s * elements:
        return "overhead-bound"
    if fit.bandwidth_fraction is None:
        return "bound by per-element work"
    return "bandwidth-bound" if fit.bandwidth_fraction >= BANDWIDTH_BOUND else "compute-bound"


def _at(fits: list[CostFit], elements: int) -> str:
    """``"at 100 elements all 3 are overhead-bound"``, or who is what."""
    bounds = {f.implementation: _bound(f, elements) for f in fits}
    kinds = list(dict.fromkeys(bounds.values()))
    if len(kinds) == 1:
        who = "it is" if len(fits) == 1 else ("both are" if len(fits) == 2 else f"all {len(fits)} are")
        return f"at {_elements(elements)} elements {who} {kinds[0]}"
    groups = []
    for kind in kinds:
        names = [n for n, b in bounds.items() if b == kind]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
        groups.append(f"{listed} {'is' if len(names) == 1 else 'are'} {kind}")
    return f"at {_elements(elements)} elements " + ", ".join(groups)


def verdict(model: CostModel, rows: list[BenchmarkRow]) -> list[str]:
    """One sentence per mode: overhead-, bandwidth- or compute-bound at the smallest and largest sizes measured."""
    timed = _timed(rows)
    modes = list(dict.fromkeys(f.mode for f in model.fits))
    sentences = []
    for mode in modes:
        fits = [f for f in model.fits if f.mode == mode]
        sizes = sorted({n for f in fits for n in timed.get((f.implementation, mode), {})})
        if len(sizes) < 2:
            continue
        text = f"{_at(fits, sizes[0])}; {_at(fits, sizes[-1])}"
        if len(fits) > 1 and all(_bound(f, sizes[0]) == "overhead-bound" for f in fits):
            text = f"{_at(fits, sizes[0])}, so the ranking there is the ranking of per-call overheads; {_at(fits, sizes[-1])}"
        suffix = f" ({mode})" if len(modes) > 1 else ""
        sentences.append(text[0].upper() + text[1:] + suffix + ".")
    return sentences


def why_lines(report: BenchmarkReport) -> list[str]:
    """Plain-text lines explaining the report's times.

    One line per implementation (per mode, when several were timed): the
    fitted overhead and per-element cost, the bandwidth that implies, and the
    ops, kernels and memory of one call; then one line per crossover; then
    what dominates at the smallest and largest sizes.  A report without a cost
    model (saved by an older gradlab, or still running) is fitted here, without
    the bandwidth.
    """
    model = report.cost if report.cost is not None else fit_costs(report.rows, report.why)
    several_modes = len({f.mode for f in model.fits}) > 1
    whys = {w.implementation: w for w in report.why}
    lines = []
    for name in dict.fromkeys(r.implementation for r in report.rows):
        fits = [f for f in model.fits if f.implementation == name]
        parts = [(f" ({f.mode})" if several_modes else "", fit_text(f, model)) for f in fits] or [("", "")]
        if name in whys:  # beside the fit of the mode it profiles
            k = next((i for i, f in enumerate(fits) if f.mode == PROFILED_MODE), 0)
            label, text = parts[k]
            parts[k] = (label, f"{text}; {work_text(whys[name])}" if text else work_text(whys[name]))
        lines.extend(f"{name}{label}: {text}" for label, text in parts if text)
    if report.rows and not fittable(report.rows):
        lines.append("the cost model needs two or more sizes to separate per-call overhead from per-element cost (--sizes 100,10000,1000000)")
    for cross in model.crossovers:
        lines.append(
            f"{cross.faster_below} is faster below about {_about(cross.elements)} elements, {cross.faster_above} above"
            + (f" ({cross.mode})" if several_modes else "")
        )
    return lines + verdict(model, report.rows)
