"""A log-scale axis whose labels never crowd, and never leave a view with one label or none.

Decades are labelled; 2 and 5 too when the view spans little more than one; and when
that still leaves fewer than two labels in view (data spanning less than a decade,
such as 50–150 µs), every tick, down to evenly spaced ticks within one digit.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from gradlab.model.bench_table import time_unit

#: Below this many decades in view, the 2× and 5× ticks are labelled too.
FEW_DECADES = 1.5
#: Fewer labels than this in view, and the finer ticks are labelled too.
LEAST_LABELS = 2
#: About this many intervals between the extra ticks of a view that spans less than one digit.
FINE_INTERVALS = 4
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _mantissa(value: float) -> float:
    """``value`` (a log10) as the 1 ≤ m < 10 of m × 10ⁿ, rounded against float noise (10 for a decade seen from below)."""
    return round(10 ** (value % 1), 6)


def _whole(mantissa: float) -> bool:
    return abs(mantissa - round(mantissa)) < 1e-4


def _label_sets(starting: set[int]) -> list:
    """Which ticks to label, tried in turn until at least :data:`LEAST_LABELS` are: a test on a tick's mantissa each."""
    return [
        lambda m: _whole(m) and round(m) in starting,
        lambda m: _whole(m) and round(m) in {1, 2, 5, 10},
        _whole,  # 1, 2, 3, … 9 × 10ⁿ
        lambda m: True,  # the finer ticks of a view within one digit too
    ]


def _plain(value: float) -> str:
    """A tick that is not a whole multiple of its decade: ``1.2``, ``150``, ``1.5·10⁵``."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.3g}"
    exponent = math.floor(math.log10(abs(value)))
    return f"{value / 10**exponent:.2g}·10{str(exponent).translate(_SUPERSCRIPTS)}"


class LogAxis(pg.AxisItem):
    """pyqtgraph's axis in log mode, labelling enough ticks and no more.

    pyqtgraph labels every minor tick (2, 3, … 9 × each decade) when only one
    or two decades are in view, and the labels overlap; and a view within one
    decade may hold a single labelled tick, or no tick at all.  This keeps the
    tick marks and grid and labels 1 × 10ⁿ, and 2 × and 5 × 10ⁿ when the view spans
    under :data:`FEW_DECADES` decades; when that labels fewer than
    :data:`LEAST_LABELS` ticks, it labels the next finer ticks (every digit, then
    evenly spaced ticks it adds within a digit) until it does.
    """

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 - pyqtgraph override
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        shown = [v for _, values in ticks for v in values if minVal <= v <= maxVal]
        if len(shown) >= LEAST_LABELS or not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal - minVal > 1:
            return ticks
        low, high = 10.0**minVal, 10.0**maxVal
        rough = (high - low) / FINE_INTERVALS
        if rough <= 0:
            return ticks
        power = 10.0 ** math.floor(math.log10(rough))
        step = next(f * power for f in (1, 2, 5, 10) if f * power >= rough)
        fine = np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step
        fine = [math.log10(v) for v in fine if v > 0]
        fine = [v for v in fine if minVal <= v <= maxVal and not any(abs(v - s) < 1e-6 for s in shown)]
        return [*ticks, (None, fine)] if fine else ticks

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().logTickStrings(values, scale, spacing)
        low, high = self.range
        starting = {1, 10} if high - low >= FEW_DECADES else {1, 2, 5, 10}  # 10: a decade seen from just below
        mantissas = [_mantissa(value) for value in values]
        for labelled in _label_sets(starting):
            keep = [labelled(m) for m in mantissas]
            if sum(keep) >= LEAST_LABELS:
                break
        return [
            (text if _whole(m) else _plain(10**value * scale)) if kept else ""
            for value, text, m, kept in zip(values, strings, mantissas, keep)
        ]


class TimeLogAxis(LogAxis):
    """A log axis of seconds, labelled as people read times: ``100 µs``, ``2 ms``, not ``0.0001``."""

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().logTickStrings(values, scale, spacing)
        return [_time_label(10**value) if text else "" for value, text in zip(values, strings)]


def _time_label(seconds: float) -> str:
    unit, scale = time_unit([seconds])
    return f"{seconds / scale:.3g} {unit}"


def log_axes(time: bool = False) -> dict[str, LogAxis]:
    """``axisItems`` for a log–log plot; ``time``: its y values are seconds, labelled in s, ms, µs or ns."""
    return {"left": TimeLogAxis("left") if time else LogAxis("left"), "bottom": LogAxis("bottom")}
